a = <<EOT
text without an end marker
EOT_NOT_QUITE
