# Misspelt block, attribute and type names: each gets a "did you mean".
resource "gti" "app" {
  params {
    url = "https://example.org/app.git"
  }
}

resource "git" "lib" {
  chek_interval = "@every 1m"
}

job "test" {
  get "git" "lib" {
    triggr = true
  }
  tsk "unit" {
    run "shell" {
      cmd = "make test"
    }
  }
  task "lint" {
    run "shel" {
      cmd = "make lint"
    }
  }
}

jbo "deploy" {
}
