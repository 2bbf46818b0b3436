# Two jobs to pause and unpause.
job "a" {
  task "say" {
    run "shell" {
      cmd = "echo a ran"
    }
  }
}

job "b" {
  task "say" {
    run "shell" {
      cmd = "echo b ran"
    }
  }
}
