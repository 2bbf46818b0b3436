block "x" {
  stripped = <<-EOT
    four spaces
      six spaces
    four again
    EOT
  closing_less_indented = <<-EOT
      deep
        deeper
  EOT
  with_blank_line = <<-EOT
    first

    third
    EOT
}
