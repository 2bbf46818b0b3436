# hello.hcl: the smallest pipeline worth running. A cron resource ticks every
# minute; each tick builds "hello", which runs two tasks with no Docker, no
# network and nothing to install.
#
#   pikoci validate examples/hello.hcl

variable "greeting" {
  type    = string
  default = "hello"
}

resource_type "cron" {
  source = "pikoci://cron"
}

resource "cron" "tick" {
  check_interval = "@every 1m"
}

job "hello" {
  get "cron" "tick" {
    trigger = true
  }

  task "greet" {
    run "shell" {
      cmd = "echo '${var.greeting} from build '$BUILD_NUMBER && echo WHO=world >> $PIKOCI_OUTPUT"
    }
  }

  task "answer" {
    run "exec" {
      path = "/bin/sh"
      args = ["-ec", <<-EOT
        echo "greet said WHO=$TASK_GREET_WHO"
        uname -s
      EOT
      ]
    }
  }
}
