out = "%{ for x in var.list }%{ if x != "b" }${upper(x)}%{ else }-%{ endif }%{ endfor }"
in_for_object = "%{ for k, v in { a = 1, b = 2 } }%{ for i in range(v) }${k}%{ endfor }%{ endfor }"
