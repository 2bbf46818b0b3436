# tail_followers.sh's pipeline: "chat" prints N numbered lines with
# multi-byte characters, one every 20 ms, then THE-END -- a build someone
# watches.
variable "n" {
  type    = number
  default = 250
}

job "chat" {
  task "chat" {
    run "shell" {
      cmd = "i=1; while [ $i -le ${var.n} ]; do echo \"line $i: grün, €, 日本, 🦀\"; i=$((i+1)); sleep 0.02; done; echo THE-END"
    }
  }
}

# a long one: a follower whose token is revoked meanwhile
job "long" {
  task "long" {
    run "shell" {
      cmd = "i=1; while [ $i -le 1500 ]; do echo \"line $i\"; i=$((i+1)); sleep 0.02; done"
    }
  }
}
