# Two fs gets and a task writing into the same $WORKDIR: PikoCI's fs type
# copies and merges (cp -r PATH/. $WORKDIR/), and a file's version carries
# path, hash, modified and size.
variable "dir" {
  type = string
}

resource_type "fs" {
  source = "pikoci://fs"
  params = ["path"]
}

resource "fs" "tree" {
  params {
    path = "${var.dir}/tree"
  }
}

resource "fs" "single" {
  params {
    path = "${var.dir}/single.txt"
  }
}

job "merge" {
  get "fs" "tree" {}
  task "write" {
    run "shell" {
      cmd = "echo mine > mine.txt"
    }
  }
  get "fs" "single" {}
  task "show" {
    run "shell" {
      cmd = "cat a.txt sub/b.txt single.txt mine.txt; echo \"single: modified=$GET_SINGLE_MODIFIED size=$GET_SINGLE_SIZE path=$GET_SINGLE_PATH\""
    }
  }
}
