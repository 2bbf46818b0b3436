# Retention end-to-end: "big" prints about 100 KB per build and keeps the
# logs of its newest 5; "small" keeps what the server's --retain-builds says;
# "flaky" succeeds only in build 1 and keeps its newest 2 builds and its
# newest succeeded one.
job "big" {
  build_log_retention {
    builds = 5
  }
  task "print" {
    run "shell" {
      cmd = "head -c 75000 /dev/urandom | base64"
    }
  }
}

job "small" {
  task "say" {
    run "shell" {
      cmd = "echo small $BUILD_NUMBER"
    }
  }
}

job "flaky" {
  build_log_retention {
    builds                   = 2
    minimum_succeeded_builds = 1
  }
  task "try" {
    run "shell" {
      cmd = "echo flaky $BUILD_NUMBER; [ $BUILD_NUMBER -eq 1 ]"
    }
  }
}
