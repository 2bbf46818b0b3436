# The web API's actions (session.sh, actions.sh): "ask" takes an input,
# "gate" waits for an approval, "slow" runs long enough to be cancelled,
# "flaky" fails (to be retried), "show" gets the git resource (pin/unpin).
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

job "gate" {
  approve "go" {
    approvals = 1
  }
  task "go" {
    run "shell" {
      cmd = "echo gone"
    }
  }
}

job "slow" {
  task "nap" {
    run "shell" {
      cmd = "sleep 60"
    }
  }
}

job "flaky" {
  task "boom" {
    run "shell" {
      cmd = "echo boom; exit 1"
    }
  }
}

job "show" {
  get "git" "app" {
    trigger = false
  }
  task "show" {
    run "shell" {
      cmd = "cat app/VERSION"
    }
  }
}
