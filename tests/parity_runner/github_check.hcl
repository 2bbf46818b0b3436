# github-check as a resource type (PikoCI ships it as both): a put runs the
# type's push with $put_* attributes.
variable "api" {
  type = string
}

resource_type "github-check" {
  source = "pikoci://github-check"
}

resource "github-check" "ci" {
  params {
    app_id          = "1"
    installation_id = "2"
    private_key     = "/nonexistent.pem"
    repository      = "example/app"
    api_url         = var.api
  }
}

job "no-status" {
  put "github-check" "ci" {
    head_sha = "0123456789abcdef0123456789abcdef01234567"
  }
}

job "open" {
  put "github-check" "ci" {
    status   = "in_progress"
    head_sha = "0123456789abcdef0123456789abcdef01234567"
  }
}
