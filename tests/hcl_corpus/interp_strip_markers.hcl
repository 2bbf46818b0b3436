left = "a   ${~ var.name}"
right = "${var.name ~}   b"
both = "a  ${~ var.name ~}  b"
none = "a  ${ var.name }  b"
heredoc = <<EOT
line one
  ${~ var.name ~}
line three
EOT
