a = upper
("x")
