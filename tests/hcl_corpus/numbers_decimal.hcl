half = 0.5
pi = 3.14159
trailing_zero = 2.50
negative = -0.25
tiny = 0.000001
many_digits = 1.0000000000000002
