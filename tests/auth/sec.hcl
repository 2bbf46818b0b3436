# Identity and access end to end (access.sh): "evil" is a build whose task
# tries to use the control port with the CLI's default settings; "gated"
# needs two people's approval and not the triggerer's.
variable "ep" {
  type = string
}
variable "bin" {
  type = string
}
variable "dir" {
  type = string
}

job "evil" {
  task "e" {
    run "shell" {
      cmd = "echo marker=$PIKOCI_IN_BUILD tokens=$(env | grep -c '^PIKOCI_TOKEN='); ${var.bin} pipelines set evil ${var.dir}/plain.hcl --server ${var.ep} || echo set-rc=$?; ${var.bin} trigger vault/secret --server ${var.ep} || echo trigger-rc=$?; ${var.bin} logs vault/secret/1 --server ${var.ep} || echo logs-rc=$?"
    }
  }
}

job "gated" {
  approve "two people" {
    approvals    = 2
    self_approve = false
  }
  task "ship" {
    run "shell" {
      cmd = "echo shipped"
    }
  }
}
