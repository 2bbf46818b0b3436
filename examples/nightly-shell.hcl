# nightly-shell.hcl: a nightly job using only the built-in cron resource and
# the exec and shell runners: no Docker, no network, nothing to install.
# Shows task outputs ($PIKOCI_OUTPUT -> $TASK_<STEP>_<KEY>), in_parallel,
# if/else_if/else on those outputs, step retries and timeouts, and hooks.
#
#   pikoci validate examples/nightly-shell.hcl
#   pikoci validate examples/nightly-shell.hcl --var workdir_size_limit=100

variable "workdir_size_limit" {
  type    = number
  default = 10
}

resource "cron" "nightly" {
  check_interval = "30 2 * * *"
}

job "report" {
  timeout     = "15m"
  concurrency = 1

  get "cron" "nightly" {
    trigger = true
  }

  task "measure" {
    timeout  = "1m"
    attempts = 2
    run "shell" {
      cmd = <<-EOT
        echo "triggered at $GET_NIGHTLY_DATE"
        echo "KB=$(du -sk . | cut -f1)" >> "$PIKOCI_OUTPUT"
        echo "KERNEL=$(uname -s)" >> "$PIKOCI_OUTPUT"
      EOT
    }
  }

  in_parallel {
    limit     = 2
    fail_fast = true
    task "disk" {
      run "exec" {
        path = "/bin/df"
        args = ["-h", "."]
      }
    }
    task "uptime" {
      run "exec" {
        path = "/usr/bin/uptime"
      }
    }
  }

  if "too-big" {
    condition = "$TASK_MEASURE_KB > ${var.workdir_size_limit}"
    task "warn" {
      run "shell" {
        cmd = "echo \"workdir is $TASK_MEASURE_KB KB\" >&2"
      }
    }
  }
  else_if "linux" {
    condition = "$TASK_MEASURE_KERNEL == 'Linux' && $BUILD_NUMBER != ''"
    task "linux-note" {
      run "shell" {
        cmd = "echo \"small workdir on Linux, build $BUILD_NUMBER\""
      }
    }
  }
  else {
    task "other" {
      run "shell" {
        cmd = "echo 'nothing to report'"
      }
    }
  }

  on_failure "shell" {
    cmd = "echo \"report failed in build $BUILD_NUMBER\" >&2"
  }
  ensure "exec" {
    path = "/bin/echo"
    args = ["report finished:", "$BUILD_STATUS"]
  }
}
