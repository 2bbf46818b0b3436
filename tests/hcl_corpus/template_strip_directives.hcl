list = <<EOT
%{ for x in var.list ~}
- ${x}
%{ endfor ~}
EOT
cond = <<EOT
start
%{~ if var.flag ~}
   middle
%{~ else ~}
   other
%{~ endif ~}
end
EOT
inline = "a %{~ if true ~} b %{~ endif ~} c"
