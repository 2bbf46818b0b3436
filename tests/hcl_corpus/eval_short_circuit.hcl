# The conditional only evaluates (and reports) the chosen branch;
# && and || evaluate both operands.
cond_true_skips_false = true ? 1 : nope
cond_false_skips_true = false ? nope : 2
cond_unknown_function_skipped = var.flag ? "ok" : nosuchfunc()
and_does_not_short_circuit = false && nope
or_does_not_short_circuit = true || nope
