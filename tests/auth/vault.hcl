# Identity and access end to end (access.sh): a pipeline whose log a build
# of another pipeline must not read, nor trigger.
job "secret" {
  task "s" {
    run "shell" {
      cmd = "echo the-secret-value"
    }
  }
}
