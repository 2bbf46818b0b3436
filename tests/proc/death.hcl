# A task that would leave a side effect after the runner is gone: its shell
# (the process group's leader) and a background job (a grandchild) each
# touch a marker after a few seconds.
variable "mark" {
  type = string
}

job "slow" {
  task "sleepy" {
    run "shell" {
      cmd = "(sleep 6; touch ${var.mark}.grandchild) & echo \"started pgid $$\"; sleep 6; touch ${var.mark}.leader"
    }
  }
}

# the same, for a `pikoci worker` of its own
job "slow_ext" {
  tags = ["ext"]
  task "sleepy" {
    run "shell" {
      cmd = "(sleep 6; touch ${var.mark}.ext-grandchild) & echo \"started pgid $$\"; sleep 6; touch ${var.mark}.ext-leader"
    }
  }
}
