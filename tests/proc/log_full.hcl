# A build that prints far more than the store's disk holds.
job "big" {
  task "flood" {
    run "shell" {
      cmd = "yes 'a line of a log that will not fit on the disk of the server, padded to be long enough' | head -n 80000; echo done"
    }
  }
}
