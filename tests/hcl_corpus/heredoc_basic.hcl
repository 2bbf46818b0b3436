plain = <<EOT
line one
  indented line
line three
EOT
other_marker = <<END_OF_TEXT
text
END_OF_TEXT
empty = <<EOT
EOT
blank_lines = <<EOT

between blanks

EOT
