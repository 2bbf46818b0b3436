job "release" {
  concurrency    = 1
  serial_groups  = ["deploy"]
  timeout        = "30m"
  tags           = ["gpu"]
  interruptible  = true
  allow_failure  = false
  disable_retry  = true

  approve "deploy to production" {
    approvals = 2
  }

  input "env" {
    type    = "string"
    default = "staging"
    options = ["staging", "production"]
  }

  task "build" {
    run "docker" {
      image = "golang:1.25"
      cmd   = "go build ./..."
    }
    timeout  = "10m"
    attempts = 3
  }
}
