variable "repo" {
  type    = string
  default = "https://example.org/app.git"
}

resource "git" "app" {
  params {
    url  = var.repo
    name = "app"
  }
  check_interval = "@every 1m"
}

job "test" {
  get "git" "app" {
    trigger = true
  }
  task "unit" {
    run "shell" {
      cmd = "cd app && make test"
    }
  }
}

job "deploy" {
  get "git" "app" {
    trigger = true
    passed  = ["test"]
  }
  task "ship" {
    run "exec" {
      path = "/bin/sh"
      args = ["-ec", <<-EOT
        cd app
        ./deploy.sh
      EOT
      ]
    }
  }
}
