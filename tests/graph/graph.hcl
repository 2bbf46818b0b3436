# The pipeline graph, mark-as-warning and trigger with a version (issue #18):
# test -> deploy (passed, a put) -> gated (passed, an approval gate), and
# lint (allow_failure = var.lint_allow) beside them. A task fails while the
# file $MARKS/fail-<job> exists; lint runs while $MARKS/hold-lint exists.
variable "repo" {
  type = string
}

variable "lint_allow" {
  type    = bool
  default = false
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

resource "trigger" "released" {
}

job "test" {
  get "git" "app" {
    trigger = true
  }
  task "unit" {
    run "shell" {
      cmd = "echo ref=$GET_APP_REF; test ! -e $MARKS/fail-test"
    }
  }
}

job "deploy" {
  input "target" {
    type    = "string"
    default = "staging"
    options = ["staging", "prod"]
  }
  get "git" "app" {
    trigger = true
    passed  = ["test"]
  }
  task "ship" {
    run "shell" {
      cmd = "echo deployed=$GET_APP_REF to $INPUT_TARGET"
    }
  }
  put "trigger" "released" {
    ref = "$GET_APP_REF"
  }
}

job "gated" {
  approve "ship it" {
    approvals = 1
  }
  get "git" "app" {
    passed = ["deploy"]
  }
  task "announce" {
    run "shell" {
      cmd = "echo gated=$GET_APP_REF"
    }
  }
}

job "lint" {
  allow_failure = var.lint_allow
  task "style" {
    run "shell" {
      cmd = "while [ -e $MARKS/hold-lint ]; do sleep 0.05; done; test ! -e $MARKS/fail-lint"
    }
  }
}
