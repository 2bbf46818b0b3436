# Pipeline.md's hand-off: build puts an artifact, deploy gets it through
# passed; build's on_success puts a trigger that starts "notified" here and
# "listen" in the other pipeline (put_other.hcl).
resource "artifact" "build-output" {
  params {
    dir = "out"
  }
}

resource "trigger" "deploy" {
}

job "build" {
  task "make" {
    run "shell" {
      cmd = "mkdir -p out && echo built-by-$BUILD_NUMBER > out/file"
    }
  }
  put "artifact" "build-output" {
  }
  on_success {
    put "trigger" "deploy" {
      build_sha = "abc"
    }
  }
}

job "deploy" {
  get "artifact" "build-output" {
    trigger = true
    passed  = ["build"]
  }
  task "ship" {
    run "shell" {
      cmd = "echo shipping $(cat out/file)"
    }
  }
}

job "notified" {
  get "trigger" "deploy" {
    trigger = true
  }
  task "show" {
    run "shell" {
      cmd = "echo sha=$GET_DEPLOY_BUILD_SHA from=$GET_DEPLOY_TRIGGER_PIPELINE/$GET_DEPLOY_TRIGGER_JOB/$GET_DEPLOY_TRIGGER_BUILD"
    }
  }
}
