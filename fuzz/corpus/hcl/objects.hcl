a = {a = 1, "b c" = 2, (var.name) = 3, 4 = 5, d: 6}
b = {
  x = 1
  y = 2,
  z = 3
}
c = {}
