newlines = {
  a = 1
  b = 2
}
commas_and_newlines = {
  a = 1,
  b = 2,
}
trailing_comma_inline = { a = 1, b = 2, }
one_line_one_item = { a = 1 }
