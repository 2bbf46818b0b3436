# Known divergence, kept out of the default corpus: cty divides by zero to
# an infinity, keeps values past 1.8e308 finite, and prints negative zero as
# "-0". (hcl2dump prints infinities as +/-1e999.)
neg_div_zero = -1 / 0
pow_zero_negative = pow(0, -1)
past_max_double = 1e308 * 10
negative_zero_string = "x${-0}"
negative_zero_json = jsonencode(-0)
