# The built-in vault secret type against a fake Vault (tests/registry/vault_e2e.py).
variable "vault_addr" {
  type = string
}

variable "vault_token" {
  type = string
}

secret_type "vault" {
  source  = "pikoci://vault"
  address = var.vault_addr
  token   = var.vault_token
}

# KV v2, given as the CLI takes it (no data/ segment)
variable "db_password" {
  type = string
  secret "vault" {
    path = "secret/app"
    key  = "db_password"
  }
}

# KV v2, the full API path
variable "api_key" {
  type = string
  secret "vault" {
    path = "secret/data/app"
    key  = "api_key"
  }
}

# KV v1
variable "user" {
  type = string
  secret "vault" {
    path = "kv/app"
    key  = "user"
  }
}

variable "missing" {
  type = string
  secret "vault" {
    path = "secret/nothing"
    key  = "x"
  }
}

job "read" {
  task "use" {
    run "shell" {
      cmd = <<-EOT
        echo "db ${var.db_password} api ${var.api_key} user ${var.user}"
        test "${var.db_password}" = pw-v2-value && test "${var.api_key}" = api-v2-value && test "${var.user}" = user-v1-value
        echo all three match
      EOT
    }
  }
}

job "missing" {
  task "use" {
    run "shell" {
      cmd = "echo ${var.missing}"
    }
  }
}

# the file secret type with a YAML file, its path given per variable
variable "yaml_file" {
  type    = string
  default = "/nonexistent.yaml"
}

secret_type "files" {
  source = "pikoci://file"
}

variable "yaml_password" {
  type = string
  secret "files" {
    path = var.yaml_file
    key  = "db.password"
  }
}

job "yaml" {
  task "use" {
    run "shell" {
      cmd = "echo pw ${var.yaml_password}; test '${var.yaml_password}' = 'y-4ml pass'"
    }
  }
}
