too_few = upper()
too_many = lower("a", "b")
substr_two = substr("abc", 1)
ok = max(1)
