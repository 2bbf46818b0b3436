underscore = <<EOT_2
a
EOT_2
dashed = <<end-of-text
b
end-of-text
contains_marker = <<EOT
EOT is not the end
  EOTX neither
xEOT nor this
EOT
then_attr = "after heredocs"
