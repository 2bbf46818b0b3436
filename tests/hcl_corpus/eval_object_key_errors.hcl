null_key = { (null) = 1 }
list_key = { (var.list) = 1 }
number_key = { (1) = "ok, converted" }
bool_key = { (true) = "ok, converted" }
ambiguous_traversal_key = { var.name = 1 }
