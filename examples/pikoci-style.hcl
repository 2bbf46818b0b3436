# pikoci-style.hcl: a pipeline written the way PikoCI pipelines are, every
# type declared by its pikoci:// URL and each one used. The types are built
# into pikoci (`pikoci types`), so this resolves with no network.
#
#   pikoci validate examples/pikoci-style.hcl
#   pikoci run examples/pikoci-style.hcl --job unit --var repo=/path/to/repo.git \
#       --var secrets_file=/path/to/app.env
#
# "unit" needs neither Docker nor the network (its notifications are sent
# and, with nowhere to go, fail on their own without failing the build);
# "integration" starts containers; "publish" and "review" talk to GitHub.

variable "repo" {
  type    = string
  default = "https://github.com/example/app.git"
}

variable "secrets_file" {
  type    = string
  default = "/etc/pikoci/app.env"
}

# a secret-backed variable: the DEPLOY_TOKEN line of the env file
variable "deploy_token" {
  type = string
  secret "env" {
    key = "DEPLOY_TOKEN"
  }
}

variable "db_password" {
  type = string
  secret "vault" {
    path = "secret/app"
    key  = "db_password"
  }
}

# --var fail=true makes "unit" fail (to see the failure notifications)
variable "fail" {
  type    = bool
  default = false
}

variable "vault_address" {
  type    = string
  default = "http://127.0.0.1:8200"
}

variable "slack_webhook" {
  type    = string
  default = "http://127.0.0.1:9/slack"
}

variable "discord_webhook" {
  type    = string
  default = "http://127.0.0.1:9/discord"
}

variable "github_api" {
  type    = string
  default = "https://api.github.com"
}

variable "github_app_key" {
  type    = string
  default = "/etc/pikoci/github-app.pem"
}

resource_type "git" {
  source = "pikoci://git"
}

resource_type "cron" {
  source = "pikoci://cron"
}

resource_type "fs" {
  source = "pikoci://fs"
}

resource_type "artifact" {
  source = "pikoci://artifact"
}

resource_type "trigger" {
  source = "pikoci://trigger"
}

runner_type "exec" {
  source = "pikoci://exec"
}

runner_type "shell" {
  source = "pikoci://shell"
}

runner_type "docker" {
  source = "pikoci://docker"
}

service_type "postgresql" {
  source = "pikoci://postgresql"
}

service_type "mariadb" {
  source = "pikoci://mariadb"
}

service_type "redis" {
  source = "pikoci://redis"
}

service_type "nats" {
  source = "pikoci://nats"
}

service_type "rabbitmq" {
  source = "pikoci://rabbitmq"
}

service_type "kafka" {
  source = "pikoci://kafka"
}

service_type "vault" {
  source = "pikoci://vault"
}

service_type "keycloak" {
  source = "pikoci://keycloak"
}

secret_type "env" {
  source = "pikoci://file"
  format = "env"
  path   = var.secrets_file
}

secret_type "vault" {
  source  = "pikoci://vault"
  address = var.vault_address
  token   = "root"
}

notification_type "slack" {
  source = "pikoci://slack"
}

notification_type "discord" {
  source = "pikoci://discord"
}

notification_type "github-check" {
  source = "pikoci://github-check"
}

# releases: versions are the repository's tags
resource "git" "app" {
  params {
    url  = var.repo
    name = "app"
    tag  = true
  }
  check_interval = "@every 1m"
}

# pull requests: each open one, checked out on branch pr-N; the forge's API
# says which are open (github, from the URL's host; `provider` for others)
resource "git" "pulls" {
  params {
    url   = var.repo
    name  = "app"
    pr    = true
    token = var.deploy_token
  }
  check_interval = "@every 1m"
}

resource "cron" "nightly" {
  check_interval = "0 3 * * *"
}

resource "fs" "config" {
  params {
    path = var.secrets_file
  }
}

resource "artifact" "dist" {
  params {
    dir = "dist"
  }
}

resource "trigger" "released" {
}

notification "slack" "builds" {
  params {
    webhook_url = var.slack_webhook
  }
  message = "[$BUILD_PIPELINE_NAME/$BUILD_JOB_NAME] build #$BUILD_NUMBER of $GET_APP_TAG: $BUILD_STATUS"
  on      = ["success", "failure"]
}

notification "discord" "failures" {
  params {
    webhook_url = var.discord_webhook
  }
  on = ["failure"]
}

notification "github-check" "app" {
  params {
    app_id          = "12345"
    installation_id = "678"
    private_key     = var.github_app_key
    repository      = "example/app"
    api_url         = var.github_api
    base_url        = "https://ci.example.org"
  }
  message = "build $BUILD_NUMBER: $BUILD_STATUS"
  on      = ["success", "failure"]
  jobs    = ["unit"]
}

job "unit" {
  get "git" "app" {
    trigger = true
  }
  task "test" {
    run "shell" {
      cmd = <<-EOT
        cd app
        echo "testing $(cat VERSION) with token ${var.deploy_token}"
        test "${var.fail}" != true
        mkdir -p ../dist && cp VERSION ../dist/
      EOT
    }
  }
  put "artifact" "dist" {
  }
}

job "review" {
  get "git" "pulls" {
    trigger = true
  }
  task "test" {
    run "shell" {
      cmd = "cd app && git log -1 --oneline && test -f VERSION"
    }
  }
}

job "integration" {
  get "git" "app" {
    trigger = true
    passed  = ["unit"]
  }
  service "postgresql" {
    version  = "16"
    password = var.db_password
  }
  service "redis" {
  }
  task "integration" {
    run "docker" {
      image = "alpine:3"
      cmd   = "cd app && ./integration.sh"
    }
  }
}

job "publish" {
  get "git" "app" {
    passed = ["integration"]
  }
  get "cron" "nightly" {
    trigger = true
  }
  get "fs" "config" {
  }
  notify "github-check" "app" {
    status = "in_progress"
    name   = "publish"
  }
  task "publish" {
    run "exec" {
      path = "/bin/sh"
      args = ["-ec", "echo publishing $(cat app/VERSION)"]
    }
  }
  put "trigger" "released" {
    version = "$GET_APP_TAG"
  }
  on_success {
    notify "github-check" "app" {
      conclusion = "success"
      name       = "publish"
    }
  }
}

# every other service type, started where it stands and stopped at the end
job "services" {
  service "mariadb" {
  }
  service "nats" {
  }
  service "rabbitmq" {
  }
  service "kafka" {
  }
  service "vault" {
  }
  service "keycloak" {
  }
  task "probe" {
    run "exec" {
      path = "/bin/sh"
      args = ["-ec", "echo all services are up"]
    }
  }
}
