a = "x${1 + 1}y"
b = "%{ if var.flag }yes%{ else }no%{ endif }"
c = "%{ for i, v in var.list }${i}=${v};%{ endfor }"
d = "a ${~ "b" ~} c"
e = <<EOT
  %{~ for v in var.nums ~}
  ${v}
  %{~ endfor ~}
EOT
f = "$WORKDIR/${var.name}"
g = "\u00e9\U0001F680\t|"
h = "${var.n}"
i = "${true}"
j = "pre ${true}"
