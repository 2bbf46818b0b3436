a = var.flag
  ? "a"
  : "b"
