cond_string = "yes" ? 1 : 2
cond_null = null ? 1 : 2
cond_incompatible = true ? [1] : { a = 1 }
ok = true ? 1 : 2
