tuple_for = [
  for x
  in var.list
  :
  x
  if x != "a"
]
object_for = {
  for k, v in var.obj :
  k => v
}
