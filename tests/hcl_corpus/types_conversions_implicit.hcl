number_to_string_join = join(",", [1, true, "x"])
string_to_number_math = "3" * "2"
bool_string_cond = "true" ? "y" : "n"
list_unify = concat(["a"], [1])
tuple_with_null = [null, 1]
