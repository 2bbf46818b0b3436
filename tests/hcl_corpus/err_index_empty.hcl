a = var.list[]
