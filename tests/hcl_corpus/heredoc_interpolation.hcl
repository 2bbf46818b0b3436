greeting = <<EOT
Hello ${var.name}!
n is ${var.n + 1}
EOT
indented = <<-EOT
  name: ${upper(var.name)}
  os: ${var.nested.os[0]}
  EOT
