# Scheduling features through the CLI: approvals, inputs, pause, pins,
# concurrency, serial groups and interruptible builds. $MARKS (from the
# server's environment) is where tasks record when they ran.
variable "repo" {
  type = string
}

resource_type "git" {
  source = "pikoci://git"
  params = ["url", "branch", "name"]
}

resource "git" "app" {
  params {
    url  = var.repo
    name = "app"
  }
  check_interval = "@every 1h"
}

job "gated" {
  approve "ship it" {
    approvals = 1
  }
  task "ship" {
    run "shell" {
      cmd = "echo shipped"
    }
  }
}

job "ask" {
  input "target" {
    type    = "string"
    default = "staging"
    options = ["staging", "prod"]
  }
  task "say" {
    run "shell" {
      cmd = "echo target=$INPUT_TARGET"
    }
  }
}

job "pinned" {
  get "git" "app" {
    trigger = true
  }
  task "show" {
    run "shell" {
      cmd = "echo ref=$GET_APP_REF"
    }
  }
}

job "single" {
  concurrency = 1
  task "work" {
    run "shell" {
      cmd = "echo \"single $BUILD_NUMBER start $(date +%s%N)\" >> $MARKS/single; sleep 1; echo \"single $BUILD_NUMBER end $(date +%s%N)\" >> $MARKS/single"
    }
  }
}

job "left" {
  serial_groups = ["deploy"]
  task "work" {
    run "shell" {
      cmd = "echo \"left start $(date +%s%N)\" >> $MARKS/serial; sleep 1; echo \"left end $(date +%s%N)\" >> $MARKS/serial"
    }
  }
}

job "right" {
  serial_groups = ["deploy"]
  task "work" {
    run "shell" {
      cmd = "echo \"right start $(date +%s%N)\" >> $MARKS/serial; sleep 1; echo \"right end $(date +%s%N)\" >> $MARKS/serial"
    }
  }
}

job "inter" {
  interruptible = true
  task "wait" {
    run "shell" {
      cmd = "echo waiting; sleep 271.5"
    }
  }
}
