e_lower = 1e3
e_upper = 1E3
e_plus = 1e+3
e_minus = 1e-3
decimal_exp = 1.5e2
neg_exp = -2.5E-2
big_exp = 1e21
small_exp = 5e-7
