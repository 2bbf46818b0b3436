zero = 0
one = 1
big = 9007199254740992
bigger = 123456789012345678
leading_zero = 007
negative = -42
neg_zero = -0
