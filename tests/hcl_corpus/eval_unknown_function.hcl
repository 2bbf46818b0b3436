unknown = uppercase("x")
provider_style = file("x.txt")
ok = upper("x")
