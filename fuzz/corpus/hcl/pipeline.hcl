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
  for_each = { for p in setproduct(["linux", "darwin"], ["amd64", "arm64"]) : "${p[0]}-${p[1]}" => { os = p[0], arch = p[1] } }
  get "git" "app" {
    trigger = true
  }
  task "unit" {
    run "shell" {
      cmd = "cd app && GOOS=${each.value.os} make test"
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
        ./deploy.sh $WORKDIR
      EOT
      ]
    }
  }
}
