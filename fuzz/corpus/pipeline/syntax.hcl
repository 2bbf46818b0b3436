job "j" {
  task "t" {
    run "shell" {
      cmd = "unterminated
    }
  }
}
