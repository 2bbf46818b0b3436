a = "%{ for x in [] }${x}%{ else }none%{ endfor }"
