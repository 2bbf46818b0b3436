# A pipeline in the style of PikoCI's own, with the one-line blocks split
# over several lines as the HCL2 spec requires.
resource "cron" "tick" {
  check_interval = "@every 1m"
}

resource "git" "pikoci" {
  params {
    url    = "https://github.com/PikoCI/pikoci"
    branch = "master"
    name   = "pikoci"
  }
}

job "test" {
  get "git" "pikoci" {
    trigger = true
  }
  get "cron" "tick" { trigger = true }
  task "go-test" {
    inputs  = ["pikoci"]
    outputs = ["coverage.out"]
    run "docker" {
      image = "golang:1.25"
      cmd   = "cd pikoci && go test -coverprofile=../coverage.out ./..."
    }
  }
  put "trigger" "downstream" {
    sha = "$GET_PIKOCI_REF"
  }
}
