a = 1
b = "crlf"
block {
  c = [1,
    2]
}
