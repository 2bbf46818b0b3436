args = ["-ec", <<-EOT
  cd app
  ./deploy.sh
EOT
]
two = [<<EOT
first
EOT
, <<EOT
second
EOT
]
