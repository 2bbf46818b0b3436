a = var.list.1.2
