a = <<EOT
${upper(
  var.name
)}
EOT
