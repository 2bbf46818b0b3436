# pikoci-top's end-to-end pipeline: a git repository (a local bare repo over
# file://) for the resources panel, a job that runs for a few seconds with a
# recognisable log, one that waits behind itself (concurrency 1) and one
# that runs until cancelled.
variable "repo" {
  type = string
}

resource_type "git" {
  source = "pikoci://git"
  params = ["url", "branch", "name"]
}

resource "git" "app" {
  params {
    url  = var.repo
    name = "app"
  }
  check_interval = "@every 1h"
}

# gets the repository (so it is checked) but is never triggered by it
job "fetch" {
  get "git" "app" {
    trigger = false
  }
  task "show" {
    run "shell" {
      cmd = "cat app/VERSION"
    }
  }
}

job "hello" {
  task "say" {
    run "shell" {
      cmd = "echo hello from top; i=0; while [ $i -lt 40 ]; do echo top-line-$i; i=$((i+1)); done; sleep 3; echo hello-done"
    }
  }
}

job "one" {
  concurrency = 1
  task "nap" {
    run "shell" {
      cmd = "echo napping; sleep 4; echo woke"
    }
  }
}

job "forever" {
  task "wait" {
    run "shell" {
      cmd = "echo waiting-forever; sleep 300"
    }
  }
}
