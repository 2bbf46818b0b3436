job "test" {
  on_trigger {
    notify "github-check" "ci" {
      status = "queued"
    }
  }
  task "unit" {
    run "exec" {
      path = "make"
      args = ["test"]
    }
    on_failure "exec" {
      path = "echo"
      args = ["step failed"]
    }
    ensure {
      task "cleanup" {
        run "shell" {
          cmd = "rm -rf tmp"
        }
      }
    }
  }
  on_success "exec" {
    path = "echo"
    args = ["ok: $BUILD_NUMBER"]
  }
  on_failure {
    put "trigger" "alert" {
      reason = "failed"
    }
  }
  on_cancel {
  }
}
