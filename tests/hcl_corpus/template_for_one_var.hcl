items = "%{ for x in var.list }${x},%{ endfor }"
numbers = "%{ for n in var.nums }[${n}]%{ endfor }"
empty = "%{ for x in [] }${x}%{ endfor }"
