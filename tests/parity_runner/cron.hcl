# The cron type's get prints the date of its version, as PikoCI's does.
resource_type "cron" {
  source = "pikoci://cron"
}

resource "cron" "tick" {
  check_interval = "@every 1m"
}

job "tick" {
  get "cron" "tick" {}
  task "show" {
    run "shell" {
      cmd = "echo \"got date=$GET_TICK_DATE\""
    }
  }
}
