# The server's own secret store (tests/workerauth/secrets.sh): the value of
# api_token is set with `pikoci secrets set`, never written here. The task
# prints it (masked in the log) and a short hash of it, which tells the
# test which scope's value it got without the log holding the value.
variable "api_token" {
  type = string
  secret "pikoci" {
    key = "api_token"
  }
}

variable "greeting" {
  type    = string
  default = "plain-hello"
}

job "use" {
  task "show" {
    run "shell" {
      cmd = <<-EOT
        echo "token=$API_TOKEN"
        echo "sha=$(printf %s "$API_TOKEN" | sha256sum | cut -c1-16)"
        echo "done-ok"
      EOT
      API_TOKEN = var.api_token
    }
  }
}

job "plain" {
  task "hello" {
    run "shell" {
      cmd = "echo ${var.greeting}"
    }
  }
}
