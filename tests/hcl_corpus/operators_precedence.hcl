mul_before_add = 1 + 2 * 3
div_before_sub = 10 - 6 / 2
mod_same_as_mul = 10 - 7 % 4 * 2
left_assoc_sub = 10 - 3 - 2
left_assoc_div = 64 / 4 / 2
cmp_after_add = 1 + 1 == 2
eq_after_lt = 1 < 2 == true
and_before_or = true || false && false
or_after_and = false && true || true
not_binds_tight = !false && false
neg_binds_tight = -2 * 3
parens = (1 + 2) * 3
nested_parens = ((2))
cond_lowest = 1 + 1 == 2 ? "yes" : "no"
