params { url = "x"  name = "app" }
