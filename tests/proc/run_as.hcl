# What a build process can reach when the runner drops it to --run-as USER:
# it prints who it is, whether the store, a key and a token file are
# readable, which credential variables it inherited, and leaves a
# background job behind.
variable "db" {
  type = string
}
variable "key" {
  type = string
}
variable "token" {
  type = string
}

job "who" {
  task "probe" {
    run "shell" {
      cmd = <<-EOT
        echo "uid=$(id -u) gid=$(id -g) groups=$(id -G)"
        echo "home=$HOME user=$USER"
        echo "workdir=$WORKDIR owner=$(stat -c %U "$WORKDIR") mode=$(stat -c %a "$WORKDIR")"
        if ls "${var.db}" >/dev/null 2>&1; then echo store=readable; else echo store=denied; fi
        if cat "${var.db}/data.mdb" >/dev/null 2>&1; then echo data=readable; else echo data=denied; fi
        if cat "${var.key}" >/dev/null 2>&1; then echo key=readable; else echo key=denied; fi
        if cat "${var.token}" >/dev/null 2>&1; then echo token=readable; else echo token=denied; fi
        echo "credentials=$(env | grep -cE '^PIKOCI_(TOKEN|WORKER_TOKEN|SECRET_KEY|REGISTRY_PASSWORD)=' || true)"
        echo "other=$${PIKOCI_HARMLESS:-}"
        touch "$WORKDIR/made-by-task"
        sleep 300 &
        echo "bg=$! workdir_done"
      EOT
    }
  }
}

job "who_ext" {
  tags = ["ext"]
  task "probe" {
    run "shell" {
      cmd = "echo \"uid=$(id -u)\"; echo \"workdir=$WORKDIR owner=$(stat -c %U \"$WORKDIR\")\"; if ls \"${var.db}\" >/dev/null 2>&1; then echo store=readable; else echo store=denied; fi"
    }
  }
}

variable "repo" {
  type = string
}
variable "rootonly" {
  type = string
}

resource_type "git" {
  source = "pikoci://git"
  params = ["url", "branch", "name"]
}

resource "git" "app" {
  params {
    url  = var.repo
    name = "app"
  }
  check_interval = "@every 1h"
}

# the runner checks the repository out itself (libgit2, as root): the
# checkout must be the task's to change; and a task's output file that is
# a link to a file only root may read must not be read by the runner
job "checkout" {
  get "git" "app" {
  }
  task "edit" {
    run "shell" {
      cmd = "echo changed >> app/VERSION && mkdir app/new && echo edited-checkout; ln -s \"${var.rootonly}\" \"$PIKOCI_OUTPUT\""
    }
  }
  task "after" {
    run "shell" {
      cmd = "echo \"leak=$${TASK_EDIT_SECRET:-none}\""
    }
  }
  # git itself works in it as the build user (its objects are links of
  # the runner's mirror: readable, not the build user's to change)
  task "gitlog" {
    run "shell" {
      cmd = "git -C app log --oneline -1 >/dev/null && git -C app fsck --no-progress >/dev/null && echo git-log-ok"
    }
  }
}

resource_type "fs" {
  source = "pikoci://fs"
}

# a path on the worker the build user may not read: the runner copies it as
# the build user, so the get fails instead of handing the store over
resource "fs" "store" {
  params {
    path = "${var.db}/data.mdb"
  }
  check_interval = "@every 1h"
}

job "steal" {
  get "fs" "store" {
  }
  task "look" {
    run "shell" {
      cmd = "ls -la; echo stolen"
    }
  }
}
