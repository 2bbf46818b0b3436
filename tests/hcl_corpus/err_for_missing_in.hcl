a = [for x var.list : x]
