# One git resource, two triggered jobs: the default (only the newest of the
# versions a check found builds) and version = "every" (each one does).
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

job "latest" {
  get "git" "app" {
    trigger = true
  }
  task "mark" {
    run "shell" {
      cmd = "echo $GET_APP_REF >> $MARKS/latest"
    }
  }
}

job "every" {
  get "git" "app" {
    trigger = true
    version = "every"
  }
  task "mark" {
    run "shell" {
      cmd = "echo $GET_APP_REF >> $MARKS/every"
    }
  }
}
