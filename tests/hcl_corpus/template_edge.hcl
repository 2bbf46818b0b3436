a = "${"${"${1}"}"}"
b = "%{if true}${5}%{endif}"
c = <<EOT
${var.n}
EOT
d = "${~ ""}"
e = { "${var.n}" = 1 }
g = { (var.obj.b) = 1 }
h = { "a" = 1, a = 2 }
i = "${var.name}${"}"}"
k = "${true ? "a" : 1}"
l = "a${var.n}b${var.pi}c${var.flag}"
m = "%{ for x in toset(["b","a"]) }${x}%{ endfor }"
n = "%{ for k, v in tomap({ b = 1, a = 2 }) }${k}${v}%{ endfor }"
