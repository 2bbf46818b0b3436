zero {
  a = 0
}
one "l1" {
  a = 1
}
two "l1" "l2" {
  a = 2
}
three "l1" "l2" "l3" {
  a = 3
}
