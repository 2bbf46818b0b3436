# A git resource checked only when asked (pikoci check) and jobs that
# record which commit they built in $MARKS (from the server's environment).
variable "repo" {
  type = string
}

resource "git" "app" {
  params {
    url  = var.repo
    name = "app"
  }
  check_interval = "@every 1h"
}

job "build" {
  get "git" "app" {
    trigger = true
  }
  task "mark" {
    run "shell" {
      cmd = "echo $GET_APP_REF >> $MARKS/build"
    }
  }
}

job "after" {
  get "git" "app" {
    trigger = true
    passed  = ["build"]
  }
  task "mark" {
    run "shell" {
      cmd = "echo $GET_APP_REF >> $MARKS/after"
    }
  }
}
