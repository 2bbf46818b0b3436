keyed = { for s in var.list : s => upper(s) }
swapped = { for k, v in { a = "x", b = "y" } : v => k }
indexed = { for i, s in var.list : s => i }
computed_key = { for s in var.list : "key-${s}" => length(s) }
