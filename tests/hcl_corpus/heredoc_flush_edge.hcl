marker_more_indented = <<-EOT
  two spaces
      EOT
interp_at_line_start = <<-EOT
    ${var.name} starts
    end
    EOT
interp_value_not_counted = <<-EOT
    ${"      spaces inside value"}
    x
    EOT
uneven = <<-EOT
      six
    four
        eight
    EOT
