# A pipeline with a long history (tests/history/big.sh fills its store).
job "say" {
  task "say" {
    run "exec" {
      path = "/bin/echo"
      args = ["said"]
    }
  }
}
