# Integers print in full (no exponent) when converted to strings.
two_pow_53 = "x${9007199254740992}"
sixteen_digits = "x${1234567890123456}"
product = "x${4000000000 * 4000000000}"
ten_pow_20 = "x${100000000000000000000}"
ten_pow_15 = "x${1e15}"
fifteen_digits = "x${123456789012345}"
sum_point_eight = "x${0.1 + 0.7}"
three_point_zero = "x${3.0}"
small = "x${1.25e-5}"
tiny = "x${2e-20}"
mixed = "x${12345678.9}"
tostring_big = tostring(1e16)
jsonencode_big = jsonencode(1e16)
