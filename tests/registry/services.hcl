# The built-in service types with a recording docker (tests/registry/services_e2e.py).
variable "fail" {
  type    = bool
  default = false
}

service_type "postgresql" {
  source = "pikoci://postgresql"
}
service_type "mariadb" {
  source = "pikoci://mariadb"
}
service_type "redis" {
  source = "pikoci://redis"
}
service_type "nats" {
  source = "pikoci://nats"
}
service_type "rabbitmq" {
  source = "pikoci://rabbitmq"
}
service_type "kafka" {
  source = "pikoci://kafka"
}
service_type "vault" {
  source = "pikoci://vault"
}
service_type "keycloak" {
  source = "pikoci://keycloak"
}

job "all" {
  service "postgresql" {
  }
  service "mariadb" {
  }
  service "redis" {
  }
  service "nats" {
  }
  service "rabbitmq" {
  }
  service "kafka" {
  }
  service "vault" {
  }
  service "keycloak" {
  }
  task "use" {
    run "shell" {
      cmd = "echo services up; test ${var.fail} != true"
    }
  }
}

job "params" {
  service "postgresql" {
    version  = "15"
    port     = "15432"
    password = "s3cret"
  }
  service "redis" {
    version = "6"
    port    = "16379"
  }
  task "use" {
    run "shell" {
      cmd = "echo up"
    }
  }
}

job "held" {
  service "redis" {
  }
  task "wait" {
    run "shell" {
      cmd = "echo waiting; sleep 30"
    }
  }
}
