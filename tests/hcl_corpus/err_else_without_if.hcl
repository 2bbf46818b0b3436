a = "x %{ else } y"
