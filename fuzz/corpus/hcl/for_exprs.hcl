a = [for i, v in var.list : "${i}${v}" if i != 1]
b = {for k, v in var.obj : k => v}
c = {for v in ["a","b","a"] : v => v...}
d = [for k, v in {b=1,a=2}: k]
e = [for x in toset(["b","a"]): x]
