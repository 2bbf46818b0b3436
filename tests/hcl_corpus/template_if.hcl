yes = "%{ if var.flag }on%{ endif }"
no = "%{ if !var.flag }on%{ endif }"
with_text = "before %{if var.n > 2}big%{endif} after"
compact = "%{if true}x%{endif}"
