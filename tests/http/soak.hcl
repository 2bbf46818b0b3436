# The http hardening tests' pipeline: "spew" writes MB megabytes of log
# lines then THE-END (a log to follow slowly), "blip" is a build that ends
# at once (events to stream).
variable "mb" {
  type    = number
  default = 30
}

job "spew" {
  task "spew" {
    run "shell" {
      cmd = "yes 'a line of a big log, to be followed by readers that do not read.........' | head -c $((${var.mb} * 1000000)); echo; echo THE-END"
    }
  }
}

job "blip" {
  task "blip" {
    run "shell" {
      cmd = "echo blip"
    }
  }
}
