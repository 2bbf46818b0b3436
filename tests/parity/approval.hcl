# Approval gates: a rejected build's retry waits for votes again; an
# approved build that failed is retried without a new vote.
job "gated" {
  approve "ship it" {
    approvals = 1
  }
  task "ship" {
    run "shell" {
      cmd = "echo ran >> $MARKS/gated-$BUILD_NUMBER"
    }
  }
}

job "flaky" {
  approve "ship it" {
    approvals = 1
  }
  task "ship" {
    run "shell" {
      cmd = "echo ran >> $MARKS/flaky; test -e $MARKS/flaky-ok"
    }
  }
}
