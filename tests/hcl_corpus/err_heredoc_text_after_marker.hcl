a = <<EOT trailing
x
EOT
