# A git resource whose url is a secret (as a url with a token would be): the
# native git check and get (libgit2, no process) must see the real value,
# the log only ***.
variable "creds_file" {
  type = string
}

secret_type "creds" {
  source = "pikoci://file"
  path   = var.creds_file
}

variable "repo" {
  type = string
  secret "creds" {
    key = "url"
  }
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
      cmd = "cat app/VERSION; echo url=$param_url; echo '${var.repo}'"
    }
  }
}
