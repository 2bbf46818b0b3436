equals = { a = 1, b = 2 }
colon = { a: 1, b: 2 }
mixed = { a = 1, b: 2 }
empty = {}
nested = { outer = { inner = "x" } }
