# A job printing LOG_BYTES of typical build log text (bench/typical_log.awk).
variable "awk" {
  type = string
}

variable "bytes" {
  type = string
}

job "print" {
  task "t" {
    run "shell" {
      cmd = "awk -v bytes=${var.bytes} -f ${var.awk}"
    }
  }
}

# A line at a time, so the log sink commits many small chunks.
job "trickle" {
  task "t" {
    run "shell" {
      cmd = "for i in $(seq 1 400); do echo \"step $i of 400: compiling module_$i.c ok\"; sleep 0.005; done"
    }
  }
}
