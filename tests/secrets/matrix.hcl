# for_each/matrix through a real server (tests/secrets/matrix.sh): a 2x2
# matrix job over a git resource and a downstream job that takes only what
# passed the whole group. $MX_GATE holds one instance back until the script
# opens it; a file $MX_FAIL.<os>.<cc> makes that instance fail.
variable "repo" {
  type = string
}

resource "git" "app" {
  params {
    url  = var.repo
    name = "app"
  }
  check_interval = "@every 1h"
}

job "test" {
  matrix {
    os = ["linux", "bsd"]
    cc = ["gcc", "clang"]
  }
  get "git" "app" {
    trigger = true
  }
  task "unit" {
    run "shell" {
      cmd = <<-EOT
        echo "instance=$BUILD_JOB_NAME key=${each.key} os=${each.value.os} cc=${each.value.cc} ref=$GET_APP_REF"
        if [ "${each.value.os}-${each.value.cc}" = "bsd-clang" ]; then
          while [ ! -e "$MX_GATE" ]; do sleep 0.05; done
        fi
        if [ -e "$MX_FAIL.${each.value.os}.${each.value.cc}" ]; then echo "failing on purpose"; exit 1; fi
      EOT
    }
  }
}

job "deploy" {
  get "git" "app" {
    trigger = true
    passed  = ["test"]
  }
  task "ship" {
    run "shell" {
      cmd = "echo deploying ref=$GET_APP_REF"
    }
  }
}
