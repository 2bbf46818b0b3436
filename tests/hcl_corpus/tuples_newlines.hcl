vertical = [
  "a",
  "b",
  "c",
]
no_trailing = [
  "a",
  "b"
]
blank_lines = [

  1,

  2

]
open_on_next_line = [
  1, 2,
  3, 4
]
