a = [<<EOT]
x
EOT
