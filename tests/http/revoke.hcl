# revoke.sh's pipeline: "long" prints a line every 50 ms for up to 2 min --
# a build whose log is followed while tokens are revoked (the test cancels it).
job "long" {
  task "long" {
    run "shell" {
      cmd = "i=1; while [ $i -le 2400 ]; do echo \"line $i\"; i=$((i+1)); sleep 0.05; done"
    }
  }
}
