filtered = [for n in var.nums : n if n > 1]
filtered_obj = { for k, v in var.obj : k => v if k != "b" }
none = [for n in var.nums : n if false]
with_index = [for i, s in var.list : s if i % 2 == 0]
