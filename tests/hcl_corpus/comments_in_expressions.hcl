a = "${ /* c */ 1 }"
b = [for /* c */ x in var.list : x]
c = upper( # hash comment in call
"x")
