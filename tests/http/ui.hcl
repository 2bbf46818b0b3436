# The web UI's acceptance pipeline (ui.sh): three jobs in a row on a git
# repository over file:// -- build (prints slowly: a log to watch live),
# prepare, a step before compile, so each step's log has lines of its own --
# test (passed build), ship (passed test, behind an approval) -- and
# release, a job with inputs of every type for the trigger form, and flaky,
# which fails (to be marked as a warning).
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

job "build" {
  get "git" "app" {
    trigger = true
  }
  task "prepare" {
    run "shell" {
      cmd = "echo preparing the build; echo prepared"
    }
  }
  task "compile" {
    run "shell" {
      cmd = "echo building $(cat app/VERSION); i=1; while [ $i -le 24 ]; do echo \"step $i of the build\"; i=$((i+1)); sleep 0.3; done"
    }
  }
}

job "test" {
  get "git" "app" {
    trigger = true
    passed  = ["build"]
  }
  task "unit" {
    run "shell" {
      cmd = "echo testing $(cat app/VERSION)"
    }
  }
}

job "ship" {
  approve "ship it" {
    approvals = 1
  }
  get "git" "app" {
    trigger = true
    passed  = ["test"]
  }
  task "deploy" {
    run "shell" {
      cmd = "echo shipping $(cat app/VERSION)"
    }
  }
}

job "release" {
  input "target" {
    type    = "string"
    default = "staging"
    options = ["staging", "prod"]
  }
  input "count" {
    type    = "number"
    default = 1
  }
  input "dry" {
    type    = "bool"
    default = true
  }
  input "regions" {
    type     = "string"
    options  = ["eu", "us", "ap"]
    multiple = true
    default  = "eu"
  }
  input "notes" {
    type    = "string"
    default = ""
  }
  task "release" {
    run "shell" {
      cmd = "echo \"release target=$INPUT_TARGET count=$INPUT_COUNT dry=$INPUT_DRY regions=$INPUT_REGIONS notes=$INPUT_NOTES\""
    }
  }
}

job "flaky" {
  task "fail" {
    run "shell" {
      cmd = "echo about to fail; exit 1"
    }
  }
}
