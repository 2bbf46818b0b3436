step "get" {
  n = 1
}
step "task" {
  n = 2
}
other {
}
step "get" {
  n = 3
}
step "put" {
  n = 4
}
