a = "x ${var.name y"
