# Retention end-to-end: "big" prints about 100 KB per build and keeps the
# logs of its newest 5; "small" keeps what the server's --retain-builds says.
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
