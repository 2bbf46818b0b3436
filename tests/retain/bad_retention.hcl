# A pipeline with every build_log_retention mistake (tests/retain/validate.sh).
job "a" {
  build_log_retention {
    builds = 2
    minimum_succeeded_builds = 3
    dayz = 1
  }
  task "t" {
    run "shell" {
      cmd = "true"
    }
  }
}
job "b" {
  build_log_retention {
  }
  build_log_retention {
    builds = 0
  }
  task "t" {
    run "shell" {
      cmd = "true"
    }
  }
}
