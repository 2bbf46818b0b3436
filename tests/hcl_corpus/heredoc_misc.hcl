in_interpolation = "${<<EOT
inner
EOT
}"
quotes = <<EOT
"quoted" and 'single' and ${"inner \"q\""}
EOT
