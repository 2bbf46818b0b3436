# The http hardening tests' pipeline: "spew" writes MB megabytes of log
# lines then THE-END (a log to follow slowly), "blip" is a build that ends
# at once (events to stream), "stream" writes numbered lines over about 2 s
# (20 bursts of 2000: "line B.N") then THE-END, for the soak.
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

job "stream" {
  task "stream" {
    run "shell" {
      cmd = "b=0; while [ $b -lt 20 ]; do seq -f \"line $b.%g of the soak, followed while it grows......\" 1 2000; b=$((b+1)); sleep 0.1; done; echo THE-END"
    }
  }
}
