# A job whose log arrives over a few seconds, for the live-log subscription
# tests (subscribe.sh).
job "x" {
  task "t" {
    run "shell" {
      cmd = "for i in 1 2 3 4; do echo slow-line-$i; sleep 1; done"
    }
  }
}
