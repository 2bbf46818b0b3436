café = "accented identifier"
naïve-name = 1
Ünïcödé_attr = true
