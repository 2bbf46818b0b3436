quoted = { "with space" = 1, "dash-key" = 2 }
parenthesised = { (var.name) = "from var" }
template_key = { "${var.name}-key" = 1 }
keyword_keys = { if = 2, true = 3, null = 4, false = 5, in = 6 }
number_like = { "1" = "one" }
bare_traversal_like = { var = "literal key named var" }
