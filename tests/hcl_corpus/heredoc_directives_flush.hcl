a = <<-EOT
  %{ for x in var.list }
  - ${x}
  %{ endfor }
  EOT
