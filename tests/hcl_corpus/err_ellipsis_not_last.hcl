a = concat(var.list..., ["x"])
