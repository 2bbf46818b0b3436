# Both results of a conditional are converted to one common type.
number_string = true ? 1 : "a"
object_attr_types = true ? { a = 1 } : { a = "x" }
tuple_lengths = true ? [1] : [1, 2]
object_shapes = true ? { a = 1 } : { b = 2 }
tuple_to_list_of_string = true ? [1, 2] : ["a"]
nested_object_list = true ? { a = [1] } : { a = ["s"] }
with_list = true ? tolist([1]) : ["a"]
mixed_false_chosen = false ? [1, "a"] : ["b"]
null_true = true ? null : 1
empty_tuple = true ? [] : ["a"]
var_list = true ? var.list : tolist(["x"])
number_bool = true ? 1 : true
string_tuple = true ? "a" : [1]
