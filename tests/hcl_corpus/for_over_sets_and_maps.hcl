from_set = [for s in toset(["b", "a", "b"]) : s]
from_map = [for k, v in tomap({ z = 1, y = 2 }) : "${k}=${v}"]
setproduct_pairs = [for p in setproduct(["a", "b"], [1, 2]) : "${p[0]}${p[1]}"]
