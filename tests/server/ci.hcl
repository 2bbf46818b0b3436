# The server end-to-end pipeline: a git repository (a local bare repo over
# file://) feeds "test"; "deploy" follows what passed "test".
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

job "test" {
  get "git" "app" {
    trigger = true
  }
  task "unit" {
    run "shell" {
      cmd = "echo testing $(cat app/VERSION) ref=$GET_APP_REF; i=0; while [ $i -lt 200 ]; do echo line $i of $GET_APP_REF; i=$((i+1)); done"
    }
  }
}

job "deploy" {
  get "git" "app" {
    trigger = true
    passed  = ["test"]
  }
  task "ship" {
    run "shell" {
      cmd = "echo deploying ref=$GET_APP_REF"
    }
  }
}

job "slow" {
  task "wait" {
    run "shell" {
      cmd = "echo started; sleep 313.5; echo SHOULD-NOT-PRINT"
    }
  }
}

job "nap" {
  task "nap" {
    run "shell" {
      # with $NAP_DIR it naps until the test creates $NAP_DIR/wake (at most a minute)
      cmd = "echo napping; if [ -n \"$NAP_DIR\" ]; then touch \"$NAP_DIR/nap-$BUILD_NUMBER\"; i=0; while [ ! -e \"$NAP_DIR/wake\" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done; else sleep 2; fi; echo woke"
    }
  }
}
