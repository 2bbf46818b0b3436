raw = <<EOT
backslash n stays: \n
quote stays: "
tab stays: \t
EOT
