dollar_brace = "$${not_interpolated}"
percent_brace = "%%{not_a_directive}"
both = "$${a} and %%{b}"
in_heredoc = <<EOT
$${literal} %%{literal}
EOT
