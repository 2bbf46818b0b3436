block "x" {
  k = 1
  k = 1
}
