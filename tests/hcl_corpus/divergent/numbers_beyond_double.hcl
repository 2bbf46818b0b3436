# Known divergence, kept out of the default corpus: cty numbers are
# arbitrary-precision big floats (512-bit mantissa, unbounded exponent), while
# pk_value numbers are C doubles. Run by hand:
#   hcl_diff.py --oracle ... --cdump ... tests/hcl_corpus/divergent
fraction_to_string = "x${1 / 3}"
jsonencode_fraction = jsonencode(1 / 3)
nearly_one = 1.0 == 1.00000000000000000001
format_17_digits = format("%d", 12345678901234567)
past_double_range = "x${1e300 * 1e300}"
jsondecode_huge = jsondecode("1e400")
