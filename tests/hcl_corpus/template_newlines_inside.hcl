interp = "${
  var.n
  +
  1
}"
directive = "%{
if var.flag
}yes%{
endif
}"
