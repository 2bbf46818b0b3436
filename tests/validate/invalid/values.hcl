# Values of the wrong type or out of range.
resource "cron" "tick" {
  check_interval = "@every 5s"
}

resource "cron" "odd" {
  check_interval = "61 * * * *"
}

job "j" {
  concurrency = "many"
  timeout     = "5 minutes"
  tags        = "fast"
  get "cron" "tick" {
    trigger  = "yes"
    attempts = -1
  }
  input "env" {
    default = "prod"
    options = ["staging", "production"]
  }
}
