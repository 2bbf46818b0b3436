# redis-service.hcl: a real service next to the build. The job starts a
# Redis server on a loopback port (Debian's redis-server, in the foreground),
# waits until it answers PING, runs a task against it and shuts it down when
# the build ends -- whether the task succeeded, failed or was cancelled.
# A notification reports every build's outcome to a log file.
#
#   pikoci run examples/redis-service.hcl --job cache-test --var port=6390

variable "port" {
  type    = string
  default = "6390"
}

service_type "redis" {
  params = ["port"]
  start "shell" {
    cmd = "exec redis-server --port \"$param_port\" --bind 127.0.0.1 --save '' --appendonly no"
  }
  ready_check "shell" {
    cmd      = "redis-cli -p \"$param_port\" ping | grep -q PONG"
    interval = "200ms"
    timeout  = "20s"
  }
  stop "shell" {
    cmd = "redis-cli -p \"$param_port\" shutdown nosave"
  }
}

notification_type "logfile" {
  notify "shell" {
    cmd = "echo \"$(date -u) $NOTIFY_MESSAGE\" >> /tmp/pikoci-notifications.log"
  }
}

notification "logfile" "outcome" {
  message = "$BUILD_PIPELINE_NAME/$BUILD_JOB_NAME #$BUILD_NUMBER $BUILD_STATUS (counter: $TASK_COUNT_HITS)"
  on      = ["all"]
}

job "cache-test" {
  service "redis" {
    port = var.port
  }
  task "count" {
    run "shell" {
      cmd = <<-EOT
        redis-cli -p ${var.port} incr hits >/dev/null
        hits=$(redis-cli -p ${var.port} incr hits)
        echo "redis counted to $hits"
        echo "HITS=$hits" >> "$PIKOCI_OUTPUT"
      EOT
    }
  }
}
