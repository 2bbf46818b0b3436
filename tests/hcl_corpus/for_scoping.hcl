shadow_var = [for var in [1, 2] : var]
shadow_each = [for each, x in ["p", "q"] : "${each}${x}"]
outer_visible = [for x in var.list : "${var.name}-${x}"]
nested_names = [for x in [1, 2] : [for y in [x, x * 10] : y + x]]
in_template = "${join(",", [for x in var.list : upper(x)])}"
splat_then_for = [for v in [{ a = 1 }, { a = 2 }][*].a : v * 2]
