# The report test's pipeline: an approval, two tasks, one printing bytes
# that are not UTF-8.
job "gated" {
  approve "ship it" {
    approvals = 1
  }
  task "first" {
    run "shell" {
      cmd = "echo 'one \"quoted\" line'; echo été"
    }
  }
  task "second" {
    run "shell" {
      cmd = "printf 'bad \\377 byte\\n'"
    }
  }
}
