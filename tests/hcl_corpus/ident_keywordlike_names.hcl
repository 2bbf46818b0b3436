for = 1
in = 2
if = 3
true_name = 4
null = 5
true = "an attribute named true"
false = false
