a = [var.list...]
