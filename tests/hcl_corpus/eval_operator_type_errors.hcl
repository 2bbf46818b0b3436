add_string = "a" + 1
not_number = !1
neg_bool = -true
and_number = 1 && true
lt_strings = "a" < "b"
ok = 1 + 1
