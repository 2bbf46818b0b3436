service_type "postgres" {
  params = ["version"]
  start "exec" {
    path = "/bin/sh"
    args = ["-ec", "pg_ctl start -D $WORKDIR/pg"]
  }
  ready_check "exec" {
    path     = "pg_isready"
    interval = "1s"
    timeout  = "60s"
  }
  stop "exec" {
    path = "/bin/sh"
    args = ["-ec", "pg_ctl stop -D $WORKDIR/pg"]
  }
}

notification_type "slack" {
  source = "pikoci://slack"
}

notification "slack" "deploys" {
  params {
    webhook_url = "https://hooks.example.org/x"
  }
  message = "Deploy finished for ${var.name} (#$BUILD_NUMBER)"
  on      = ["success", "failure"]
  jobs    = ["deploy"]
}

job "integration" {
  service "postgres" {
    version = "16"
  }
  task "it" {
    run "shell" {
      cmd = "make integration"
    }
  }
  notify "slack" "deploys" {
    message = "override"
  }
}
