args = ["-ec", <<-EOT
    cd app
      ./deploy.sh
    EOT
]
b = [<<EOT
x
EOT
, "y"]
