tuple_index = ["x", "y"][1]
object_attr = { k = "v" }.k
call_index = split(",", "a,b,c")[2]
paren_index = (var.list)[0]
cond_index = (var.flag ? var.list : [])[1]
for_index = [for x in var.list : upper(x)][0]
