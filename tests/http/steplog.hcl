# steplog.sh's pipeline: three tasks in a row, the middle one printing a
# secret (masked in the stored log: "***" is shorter than the value).
variable "creds_file" {
  type = string
}

secret_type "creds" {
  source = "pikoci://file"
  path   = var.creds_file
}

variable "tok" {
  type = string
  secret "creds" {
    key = "token"
  }
}

job "three" {
  task "one" {
    run "shell" {
      cmd = "echo one-a; echo one-b"
    }
  }
  task "two" {
    run "shell" {
      cmd = "echo two=$TOK; echo $TOK $TOK"
      TOK = var.tok
    }
  }
  task "three" {
    run "shell" {
      cmd = "printf 'three\\nno newline at the end'"
    }
  }
}
