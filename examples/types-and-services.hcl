# types-and-services.hcl: defining your own types inline. A resource type
# whose check and pull are shell scripts, a service started next to the
# build, notifications written to a log file, a manual deploy with inputs
# and an approval gate. Everything runs through exec/shell; no network.
#
#   pikoci validate examples/types-and-services.hcl

# A "version file" resource: a new version whenever the file's content changes.
resource_type "version-file" {
  params = ["path"]
  check "exec" {
    path = "/bin/sh"
    args = ["-ec", <<-EOT
      v=$(cat "$param_path" 2>/dev/null || true)
      if [ -z "$v" ] || [ "$v" = "$version_value" ]; then echo '[]'; exit 0; fi
      printf '[{"value":"%s"}]\n' "$v"
    EOT
    ]
  }
  pull "exec" {
    path = "/bin/sh"
    args = ["-ec", "echo \"$version_value\" > version"]
  }
}

resource "version-file" "app" {
  params {
    path = "/tmp/pikoci-app.version"
  }
  check_interval = "@every 15s"
}

# A throwaway background process standing in for a database.
service_type "sleeper" {
  params = ["seconds"]
  start "shell" {
    cmd = "sleep \"$param_seconds\" >/dev/null 2>&1 & echo $! > \"$WORKDIR/sleeper.pid\""
  }
  ready_check "shell" {
    cmd      = "kill -0 \"$(cat \"$WORKDIR/sleeper.pid\")\""
    interval = "1s"
    timeout  = "10s"
  }
  stop "shell" {
    cmd = "kill \"$(cat \"$WORKDIR/sleeper.pid\")\" || true"
  }
}

notification_type "logfile" {
  params = ["file"]
  notify "shell" {
    cmd = "echo \"$(date -u) $BUILD_JOB_NAME #$BUILD_NUMBER: $NOTIFY_MESSAGE\" >> \"$param_file\""
  }
}

notification "logfile" "builds" {
  params {
    file = "/tmp/pikoci-notifications.log"
  }
  message = "finished"
  on      = ["all"]
}

job "test" {
  get "version-file" "app" {
    trigger = true
  }
  service "sleeper" {
    seconds = "60"
  }
  task "check" {
    inputs = ["version"]
    run "shell" {
      cmd = "echo testing version $(cat version); echo VERSION=$(cat version) >> \"$PIKOCI_OUTPUT\""
    }
  }
}

job "deploy" {
  approve "deploy to production" {
    approvals = 1
  }
  input "target" {
    type    = "string"
    default = "staging"
    options = ["staging", "production"]
  }
  get "version-file" "app" {
    passed = ["test"]
  }
  task "ship" {
    run "shell" {
      cmd = "echo deploying $GET_APP_VALUE to $INPUT_TARGET"
    }
  }
  notify "logfile" "builds" {
    message = "deployed to production"
  }
  on_failure {
    notify "logfile" "builds" {
      message = "deploy failed"
    }
  }
}
