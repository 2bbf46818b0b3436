params = { a = 1 }
params {
  b = 2
}
