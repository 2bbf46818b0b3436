a = "x ${var.name
