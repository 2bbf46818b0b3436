a = "text %{ endif }"
