# A pipeline of one job, for team and refusal tests (access.sh).
job "x" {
  task "t" {
    run "shell" {
      cmd = "echo plain"
    }
  }
}
