objects = [{ a = 1 }, { a = 2 }].*.a
stops_at_index = [{ a = [1, 2] }, { a = [3, 4] }].*.a[0]
on_var = var.list.*
deep = [{ o = { p = "x" } }, { o = { p = "y" } }].*.o.p
