# Steps where they may not stand, broken if chains and conditions, a type
# with both a source and inline commands.
resource_type "thing" {
  source = "pikoci://thing"
  check "exec" {
    path = "/bin/true"
  }
}

service_type "db" {
  source = "pikoci://postgresql"
}

job "j" {
  in_parallel {
    service "db" {
    }
    in_parallel {
    }
  }
  else {
  }
  if "prod" {
    condition = "!$IS_PROD"
  }
  else_if "staging" {
    condition = "$ENV == 'staging"
  }
  task "t" {
    run "shell" {
      cmd  = "true"
      file = "x.sh"
    }
  }
}
