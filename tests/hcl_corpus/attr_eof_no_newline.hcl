a = 1
b = "no newline at end of file"