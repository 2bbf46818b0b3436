upper = [for s in var.list : upper(s)]
with_index = [for i, s in var.list : "${i}:${s}"]
over_object = [for k, v in var.obj : k]
over_object_values = [for v in { b = 2, a = 1 } : v]
nested = [for x in [1, 2] : [for y in [10, 20] : x * y]]
multiline = [
  for s in var.list :
  "${s}!"
]
