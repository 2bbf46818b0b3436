objects = [{ a = 1 }, { a = 2 }][*].a
plain = var.list[*]
nested_index = [{ a = [1, 2] }, { a = [3, 4] }][*].a[0]
on_scalar = var.name[*]
on_null = null[*]
on_empty = [][*]
deep = [{ o = { p = "x" } }, { o = { p = "y" } }][*].o.p
