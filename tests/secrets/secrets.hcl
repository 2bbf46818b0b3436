# Secrets through a real server (tests/secrets/secrets.sh): an inline
# secret_type whose get reads two files of a directory given as a plain
# variable, and the built-in file type reading a JSON file. The values live
# only in those files; the pipeline names where they are, never what.
variable "dir" {
  type = string
}

variable "creds_file" {
  type = string
}

secret_type "vault" {
  dir = var.dir
  get "shell" {
    cmd = <<-EOT
      /usr/bin/python3 -c 'import json, os; d = os.environ["param_dir"]; print(json.dumps({"username": open(d + "/user").read(), "password": open(d + "/pass").read()}))'
    EOT
  }
}

secret_type "creds" {
  source = "pikoci://file"
  path   = var.creds_file
}

variable "db_user" {
  type = string
  secret "vault" {
    key = "username"
  }
}

variable "db_pass" {
  type = string
  secret "vault" {
    key = "password"
  }
}

variable "api_key" {
  type = string
  secret "creds" {
    key = "api_key"
  }
}

job "echo" {
  task "show" {
    run "shell" {
      # db_user is interpolated into the script itself (argv); the others
      # reach it as environment variables
      cmd = <<-EOT
        echo "db_username=${var.db_user}"
        echo "db_password=$DB_PASS"
        echo "api_key=$API_KEY"
        echo "b64=$(printf %s "$DB_PASS" | base64)"
        /usr/bin/python3 -c 'import json, os; print("json=" + json.dumps({"p": os.environ["DB_PASS"]}))'
        echo "sha=$(printf %s "$DB_PASS" | sha256sum | cut -c1-16)"
        echo "done-ok"
      EOT
      DB_PASS = var.db_pass
      API_KEY = var.api_key
    }
  }
}
