a = <<-EOT
	x
	EOT
