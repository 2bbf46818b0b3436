# A webhook_secret from a secret-backed variable (the `file` type): refused
# when the pipeline is set, unless --var gives the value itself.
variable "repo" {
  type = string
}

variable "hook_key" {
  type = string
  secret "file" {
    path = "/nonexistent/pikoci-test-secrets.json"
    key  = "hook_key"
  }
}

resource "git" "signed" {
  params {
    url  = var.repo
    name = "signed"
  }
  check_interval = "@every 1h"
  webhook_secret = var.hook_key
}

job "signed-test" {
  get "git" "signed" {
    trigger = true
  }
  task "unit" {
    run "shell" {
      cmd = "echo signed"
    }
  }
}
