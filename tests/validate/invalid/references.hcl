# References to things that do not exist, and passed dependencies that
# cannot work.
resource "cron" "nightly" {
  check_interval = "0 3 * * *"
}

resource "git" "app" {
  params {
    url = "https://example.org/app.git"
  }
}

job "build" {
  get "cron" "nightly" {
    trigger = true
  }
  get "git" "ap" {
  }
}

job "test" {
  get "git" "app" {
    passed = ["biuld", "deploy"]
  }
  service "postgres" {
  }
  notify "slack" "team" {
  }
}

job "deploy" {
  get "git" "app" {
    passed = ["test"]
  }
}
