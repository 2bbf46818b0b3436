a = [for a, b, c in var.list : a]
