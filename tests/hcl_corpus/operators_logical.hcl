and_tt = true && true
and_tf = true && false
or_ff = false || false
or_ft = false || true
not_t = !true
not_not = !!false
combo = var.flag && !false || false
string_bool = "true" && true
