# cty numbers are arbitrary precision; results must agree within a small
# relative tolerance, and short decimals must print short in templates.
point_three = 0.1 + 0.2
point_three_string = "x${0.1 + 0.2}"
third = 1 / 3
big_product = 4000000000 * 4000000000
big_int_literal = 123456789012345678901234567890
