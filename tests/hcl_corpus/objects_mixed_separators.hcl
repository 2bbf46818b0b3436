a = {
  "k" = 1

  (var.name) = 2
  b: 3,
  c = 4, d = 5
}
