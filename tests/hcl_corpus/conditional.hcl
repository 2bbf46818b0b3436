simple = var.flag ? "on" : "off"
false_branch = !var.flag ? "on" : "off"
nested = var.n > 5 ? "big" : var.n > 2 ? "medium" : "small"
nested_parens = (var.n > 2 ? (var.flag ? 1 : 2) : 3)
unify_number_string = true ? 1 : "a"
null_branch = false ? "x" : null
multiline = (
  var.flag
  ? "yes"
  : "no"
)
