a = var.list[*]
b = var.nested.*.os
c = var.nested[*].os[0]
d = var.nested.*.os[0]
e = [{a=1},{a=2}][*].a
f = [{a=[1]},{a=[2]}].*.a[0]
