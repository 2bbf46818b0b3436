ok = var.name
undefined_root = local.thing
undefined_attr = var.missing
bare_keyword = string
in_template = "x ${nope} y"
ok_after = "still fine"
