# Version retention end-to-end: "use" gets app without a trigger, so only
# the builds the test starts refer to a version; every other version is
# free to go once it is past the server's --retain-versions.
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

job "use" {
  get "git" "app" {}
  task "say" {
    run "shell" {
      cmd = "echo using $GET_APP_REF"
    }
  }
}
