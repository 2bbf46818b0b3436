# A build to cancel mid-step: its hooks run after the cancel.
job "slow" {
  task "wait" {
    run "shell" {
      cmd = "echo waiting; sleep 283.5"
    }
  }
  on_cancel {
    task "cleanup" {
      run "shell" {
        cmd = "echo cleaning up"
      }
    }
  }
  ensure {
    task "always" {
      run "shell" {
        cmd = "echo always"
      }
    }
  }
}
