neg = -var.n
neg_neg = - -3
neg_expr = -(1 + 2)
not_cmp = !(1 > 2)
neg_float = -var.pi
neg_string = -"4"
