a = "after a byte order mark"
