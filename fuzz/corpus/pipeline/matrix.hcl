# matrix.hcl: one job definition, many jobs. A matrix is the cartesian
# product of its axes (instances named like "unit--debug-gcc"); for_each takes
# a set or a map. A built-in fs resource watches a local directory: edit a
# file there and the builds start. Only the shell runner is used.
#
#   mkdir -p /tmp/pikoci-matrix && pikoci validate examples/matrix.hcl

variable "src" {
  type    = string
  default = "/tmp/pikoci-matrix"
}

resource "fs" "src" {
  params {
    path = var.src
  }
  check_interval = "@every 10s"
}

job "unit" {
  matrix {
    build    = ["debug", "release"]
    compiler = ["gcc", "clang"]
  }
  get "fs" "src" {
    trigger = true
  }
  task "build" {
    run "shell" {
      cmd = "echo building ${each.value.build} with ${each.value.compiler} (${each.key})"
    }
  }
}

job "lint" {
  for_each = toset(["shellcheck", "codespell"])
  get "fs" "src" {
    trigger = true
  }
  task "run" {
    run "shell" {
      cmd = "command -v ${each.value} || echo '${each.key} is not installed'"
    }
  }
}

# Runs once every unit instance passed with the same version of the files.
job "package" {
  get "fs" "src" {
    trigger = true
    passed  = ["unit"]
  }
  task "tar" {
    outputs = ["src.tar"]
    run "shell" {
      cmd = "tar -cf src.tar -C \"$(dirname ${var.src})\" \"$(basename ${var.src})\""
    }
  }
}
