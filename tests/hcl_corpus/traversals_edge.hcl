a = var.obj.a.b
b = var.list[*].x
c = var.obj[*]
d = var["list"][0]
e = { "0" = "x" }.0
f = var.list[true]
g = toset([{ a = 1 }])[*].a
h = var.obj.*
i = { a = [1, 2] }.a.*
j = null.a
k = var.list[null]
l = [for x in null : x]
m = [for x in "abc" : x]
n = var.nested["os"].1
