grouped = { for s in ["apple", "avocado", "banana"] : substr(s, 0, 1) => s... }
grouped_filtered = { for n in [1, 2, 3, 4, 5] : (n % 2 == 0 ? "even" : "odd") => n... if n > 1 }
