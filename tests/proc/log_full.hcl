# A build that prints far more than the store's disk holds (random bytes:
# stored logs are compressed, and repeated lines would fit).
job "big" {
  task "flood" {
    run "shell" {
      cmd = "head -c 7000000 /dev/urandom; echo done"
    }
  }
}
