# git-test-deploy.hcl: the example of the pipeline language guide
# (PIPELINE.md). Every new commit of the repository is tested; a commit that
# passed "test" is then deployed. The built-in git resource type and the
# shell and exec runners need no declaration.
#
#   pikoci validate examples/git-test-deploy.hcl
#   pikoci validate examples/git-test-deploy.hcl --var repo=https://example.org/other.git

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
