# The pipeline of the PikoCI command-line tests: a variable (to see --vars
# arrive), a git resource over file:// (checks, versions, webhook tokens), a
# quick job, a long one (cancel, signals) and one that waits for approval.
variable "greeting" {
  type    = string
  default = "hello"
}

variable "repo" {
  type    = string
  default = "file:///nonexistent"
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

job "hello" {
  task "greet" {
    run "shell" {
      cmd = "echo '${var.greeting}' from build $BUILD_NUMBER"
    }
  }
}

job "long" {
  task "wait" {
    run "shell" {
      cmd = "echo started; sleep 300; echo SHOULD-NOT-PRINT"
    }
  }
}

job "use" {
  get "git" "app" {
    trigger = false
  }
  task "show" {
    run "shell" {
      cmd = "cat app/VERSION"
    }
  }
}
