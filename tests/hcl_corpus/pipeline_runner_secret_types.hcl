runner_type "bash" {
  run {
    path = "/bin/bash"
    args = ["-c", "$script"]
  }
}

runner_type "dind" {
  source = "pikoci://docker"
}

secret_type "vault" {
  params  = ["path"]
  address = "https://vault.example.org"
  get "exec" {
    path = "/usr/local/bin/vault-get"
    args = ["$param_path"]
  }
}

variable "token" {
  type = string
  secret "vault" {
    path = "secret/data/ci"
    key  = "token"
  }
}
