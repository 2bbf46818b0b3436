# A job whose second task fails: the third never runs, hooks do.
job "broken" {
  task "ok" {
    run "shell" {
      cmd = "echo first"
    }
  }
  task "boom" {
    run "shell" {
      cmd = "echo about to fail; exit 3"
    }
  }
  task "never" {
    run "shell" {
      cmd = "echo SHOULD-NOT-RUN"
    }
  }
  on_failure {
    task "report" {
      run "shell" {
        cmd = "echo job status $BUILD_STATUS"
      }
    }
  }
}
