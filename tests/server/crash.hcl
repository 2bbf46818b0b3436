# The crash test's pipeline: every commit of a local repository is a build
# whose log is long enough to be mid-stream when the server is killed.
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

job "build" {
  get "git" "app" {
    trigger = true
    version = "every"
  }
  task "compile" {
    run "shell" {
      cmd = "i=0; while [ $i -lt 300 ]; do echo \"$GET_APP_REF line $i\"; i=$((i+1)); [ $i -eq 150 ] && sleep 1; done; echo \"END $GET_APP_REF\""
    }
  }
}
