sum = (1
  + 2)
cond = (var.flag
  ? "a"
  : "b")
logic = (true &&
  false)
call = max(
  1,
  2
)
