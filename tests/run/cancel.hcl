# A long task to interrupt: on_cancel and ensure must still run.
job "long" {
  task "wait" {
    run "shell" {
      cmd = "echo started; sleep 313.25"
    }
    on_cancel {
      task "cleanup" {
        run "shell" {
          cmd = "echo STEP-ON-CANCEL"
        }
      }
    }
  }
  ensure {
    task "always" {
      run "shell" {
        cmd = "echo JOB-ENSURE"
      }
    }
  }
}
