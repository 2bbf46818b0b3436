upper = upper(<<EOT
shout
EOT
)
trimmed = trimspace(<<-EOT
    padded text
  EOT
)
joined = join(",", [<<EOT
a
EOT
, "b"])
