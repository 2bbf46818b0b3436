a = { x = var.list... }
