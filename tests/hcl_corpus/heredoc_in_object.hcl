obj = {
  script = <<-EOT
    echo hi
    EOT
  other = "x"
}
