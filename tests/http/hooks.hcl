# The http tests' pipeline: a git repository (a local bare repo over
# file://) seen as two resources, one of them with a webhook_secret, each
# feeding a job; "ticker" prints slowly (a log to watch live), "huge"
# prints 100 MB (a log the page must open at its tail), "nap" sleeps.
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

resource "git" "signed" {
  params {
    url  = var.repo
    name = "signed"
  }
  check_interval = "@every 1h"
  webhook_secret = "It's a Secret to Everybody"
}

job "test" {
  get "git" "app" {
    trigger = true
  }
  task "unit" {
    run "shell" {
      cmd = "echo testing $(cat app/VERSION) ref=$GET_APP_REF"
    }
  }
}

job "signed-test" {
  get "git" "signed" {
    trigger = true
  }
  task "unit" {
    run "shell" {
      cmd = "echo signed $(cat signed/VERSION) ref=$GET_SIGNED_REF"
    }
  }
}

job "ticker" {
  task "tick" {
    run "shell" {
      cmd = "i=1; while [ $i -le $${TICKS:-40} ]; do echo \"tick $i ü\"; i=$((i+1)); sleep 0.25; done"
    }
  }
}

job "huge" {
  task "spew" {
    run "shell" {
      cmd = "yes 'a line of the huge log, to fill 100 MB of it..........................' | head -c 100000000; echo; echo THE-END"
    }
  }
}

job "nap" {
  task "nap" {
    run "shell" {
      cmd = "echo napping; sleep 3; echo woke"
    }
  }
}
