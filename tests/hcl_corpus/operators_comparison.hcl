lt = 1 < 2
le = 2 <= 2
gt = 3 > 4
ge = 4 >= 5
eq_num = 1 == 1.0
ne_num = 1 != 2
eq_str = "a" == "a"
ne_str = "a" != "b"
eq_bool = true == true
eq_null = null == null
eq_mixed_types = "1" == 1
eq_tuple = [1, 2] == [1, 2]
eq_object = { a = 1 } == { a = 1 }
eq_var_tuple = var.list == ["a", "b", "c"]
eq_var_object = var.obj == { a = 1, b = "x" }
ne_null = var.name != null
cmp_string_number = "10" > 9
