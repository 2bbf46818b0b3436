spaced = var.n - 1
tight_left = var.n -1
dashed = var.n-1
num_minus = 3-1
