# Services and notifications end to end (tests/services_e2e.sh). Every file
# the commands write goes under var.dir so the script can check it.
variable "dir" {
  type = string
}

variable "port" {
  type    = string
  default = "0"
}

# start writes a marker a little later, ready_check waits for it, stop
# removes it and says so
service_type "marker" {
  start "shell" {
    cmd = "sleep 0.2; echo up > ${var.dir}/marker"
  }
  ready_check "shell" {
    cmd      = "test -f ${var.dir}/marker"
    interval = "100ms"
    timeout  = "5s"
  }
  stop "shell" {
    cmd = "rm -f ${var.dir}/marker; echo stopped >> ${var.dir}/stops"
  }
}

service_type "never" {
  start "shell" {
    cmd = "echo starting"
  }
  ready_check "shell" {
    cmd      = "exit 1"
    interval = "200ms"
    timeout  = "1s"
  }
  stop "shell" {
    cmd = "echo never-stopped >> ${var.dir}/stops"
  }
}

# a real server in the foreground on the port the job gives it
service_type "redis" {
  params = ["port"]
  start "shell" {
    cmd = "exec redis-server --port $param_port --bind 127.0.0.1 --save '' --appendonly no --daemonize no"
  }
  ready_check "shell" {
    cmd      = "redis-cli -p $param_port ping | grep -q PONG"
    interval = "100ms"
    timeout  = "20s"
  }
  stop "shell" {
    cmd = "redis-cli -p $param_port shutdown nosave"
  }
}

# the notifier appends one line per notification
notification_type "file" {
  notify "shell" {
    cmd = "echo \"$BUILD_JOB_NAME|$notify_build_status|$param_tag|$NOTIFY_MESSAGE\" >> ${var.dir}/notes"
  }
}

notification "file" "ok" {
  params {
    tag = "ok"
  }
  message = "build $BUILD_NUMBER of $BUILD_PIPELINE_NAME/$BUILD_JOB_NAME: $BUILD_STATUS, saw $TASK_USE_SAW"
  on      = ["success"]
  exclude = ["redis"]
}

notification "file" "failures" {
  params {
    tag = "failures"
  }
  message = "FAILED\\nsee build $BUILD_NUMBER"
  on      = ["failure"]
  exclude = ["never-ready"]
}

notification "file" "cancels" {
  params {
    tag = "cancels"
  }
  on   = ["cancel"]
  jobs = ["held"]
}

notification "file" "redis" {
  params {
    tag = "redis"
  }
  message = "redis said $TASK_USE_GOT"
  on      = ["all"]
  jobs    = ["redis"]
}

notification "file" "manual" {
  params {
    tag = "manual"
  }
  message = "by hand"
}

job "with-marker" {
  service "marker" {
  }
  task "use" {
    run "shell" {
      cmd = "echo task sees $(cat ${var.dir}/marker); echo SAW=$(cat ${var.dir}/marker) > $PIKOCI_OUTPUT"
    }
  }
  notify "file" "manual" {
    status = "in_progress"
  }
  on_success {
    notify "file" "manual" {
      message = "hook for $BUILD_JOB_NAME"
    }
  }
}

job "fails" {
  service "marker" {
  }
  task "use" {
    run "shell" {
      cmd = "test -f ${var.dir}/marker && echo failing-on-purpose && exit 1"
    }
  }
}

job "never-ready" {
  service "never" {
  }
  task "use" {
    run "shell" {
      cmd = "echo SHOULD-NOT-RUN"
    }
  }
}

job "held" {
  service "marker" {
  }
  task "wait" {
    run "shell" {
      cmd = "echo held-task-started; sleep 313.61"
    }
  }
}

job "redis" {
  service "redis" {
    port = var.port
  }
  task "use" {
    run "shell" {
      cmd = "redis-cli -p ${var.port} set k v-$BUILD_NUMBER >/dev/null && echo GOT=$(redis-cli -p ${var.port} get k) | tee $PIKOCI_OUTPUT"
    }
  }
}
