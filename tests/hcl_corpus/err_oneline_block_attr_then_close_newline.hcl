block {
  a = 1 }
