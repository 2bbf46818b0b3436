index0 = var.list[0]
attr = var.obj.a
nested = var.nested.os[1]
legacy_index = var.list.0
legacy_nested = var.nested.os.1
each_value = each.value.os
each_key = each.key
bracket_string = var["name"]
bracket_attr = var.obj["b"]
whole_root = each
expr_index = var.list[var.n - 2]
chain = [[1, [2, 3]]][0][1][0]
string_key_on_object = { a = { b = "deep" } }["a"]["b"]
