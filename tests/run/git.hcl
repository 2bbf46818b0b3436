# A git resource (libgit2, no git binary needed) feeding a task.
variable "repo" {
  type = string
}

resource_type "git" {
  source = "pikoci://git"
  params = ["url", "branch", "name"]
}

resource "git" "app" {
  params {
    url  = var.repo
    name = "app"
  }
}

job "test" {
  get "git" "app" {
    trigger = true
  }
  task "show" {
    run "shell" {
      cmd = "cat app/VERSION; echo ref=$GET_APP_REF"
    }
  }
}
