# A pipeline with a long history (tests/history/big.sh fills its store).
job "say" {
  task "say" {
    run "exec" {
      path = "/bin/echo"
      args = ["said"]
    }
  }
}

resource_type "git" {
  source = "pikoci://git"
  params = ["url", "name"]
}

# never reachable: its versions are the ones the test filled
resource "git" "app" {
  params {
    url  = "file:///nonexistent/pikoci-history.git"
    name = "app"
  }
  check_interval = "@every 1h"
}

job "uses" {
  get "git" "app" {
    trigger = false
  }
  task "t" {
    run "exec" {
      path = "/bin/true"
    }
  }
}
