# Known divergence, kept out of the default corpus: cty distinguishes list
# from tuple and map from object, and == compares types first; pk_value has
# one list kind and one object kind (sets are flagged), so only the set case
# can agree.
list_vs_tuple = tolist(["a"]) == ["a"]
set_vs_tuple = toset(["a"]) == ["a"]
map_vs_object = tomap({ a = "x" }) == { a = "x" }
list_vs_list = tolist(["a"]) == tolist(["a"])
sorted_list_vs_tuple = sort(["b", "a"]) == ["a", "b"]
tuple_var_vs_list = var.list == tolist(var.list)
