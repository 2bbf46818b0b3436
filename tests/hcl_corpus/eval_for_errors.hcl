dup_key = { for s in ["a", "a"] : s => 1 }
non_collection = [for x in 5 : x]
bad_key_type = { for s in var.list : [s] => 1 }
if_non_bool = [for x in var.list : x if "yes"]
ok = { for s in ["a", "a"] : s => 1... }
