resource_type "git" {
  source = "pikoci://git"
}

resource_type "http-file" {
  params = ["url", "name"]
  cache  = true
  check "exec" {
    path = "/bin/sh"
    args = ["-ec", <<-EOT
      sum=$(curl -fsSL "$param_url" | sha256sum | cut -d' ' -f1)
      echo "[{\"sha\":\"$sum\"}]"
    EOT
    ]
  }
  pull "exec" {
    path = "/bin/sh"
    args = ["-ec", "curl -fsSL \"$param_url\" -o \"$WORKDIR/$param_name\""]
  }
  push "exec" {}
}

resource "http-file" "readme" {
  params {
    url  = "https://example.org/README.md"
    name = "README.md"
  }
  check_interval = "0 */5 * * *"
  tags           = ["vpn"]
}
