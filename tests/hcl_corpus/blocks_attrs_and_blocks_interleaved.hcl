a = 1
first {
  x = 1
}
b = 2
second "s" {
  y = 2
}
c = 3
