# A variable with no default: invalid unless given with --var or --vars.
# The secret-backed one needs no value: it validates as a placeholder.
variable "replicas" {
  type = number
}

variable "token" {
  type = string
  secret "file" {
    path = "/etc/pikoci/secrets.json"
    key  = "token"
  }
}

resource "cron" "tick" {
  check_interval = "@every 1h"
}

job "scale" {
  get "cron" "tick" {
    trigger = true
  }
  task "scale" {
    run "exec" {
      path = "/bin/echo"
      args = ["scaling to", var.replicas, "with", var.token]
    }
  }
}
