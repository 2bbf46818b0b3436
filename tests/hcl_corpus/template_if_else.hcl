a = "%{ if var.flag }yes%{ else }no%{ endif }"
b = "%{ if var.empty == "" }empty%{ else }full%{ endif }"
nested = "%{ if var.flag }%{ if var.n == 3 }three%{ else }other%{ endif }%{ else }off%{ endif }"
