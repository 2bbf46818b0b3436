# The history end-to-end pipeline: "say" prints a word given when the
# pipeline is set (each life of the pipeline its own), "hold" holds a slot
# until the test creates $NAP_DIR/wake (at most a minute), "gated" waits for
# an approval, "one" runs one build at a time.
variable "word" {
  type = string
}

job "say" {
  task "say" {
    run "shell" {
      cmd = "echo word=${var.word}"
    }
  }
}

job "hold" {
  task "hold" {
    run "shell" {
      cmd = "echo holding; touch \"$NAP_DIR/hold-$BUILD_NUMBER\"; i=0; while [ ! -e \"$NAP_DIR/wake\" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done; echo woke"
    }
  }
}

job "gated" {
  approve "go" {
    approvals = 1
  }
  task "go" {
    run "shell" {
      cmd = "echo gone"
    }
  }
}

job "one" {
  concurrency = 1
  task "one" {
    run "shell" {
      cmd = "touch \"$NAP_DIR/one-$BUILD_NUMBER\"; echo one; i=0; while [ ! -e \"$NAP_DIR/wake\" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done"
    }
  }
}
