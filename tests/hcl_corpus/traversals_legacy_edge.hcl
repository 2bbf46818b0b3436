a = var.nested.os.0
leading_zero = var.list.00
