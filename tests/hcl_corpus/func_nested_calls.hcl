chain = upper(join(",", reverse(sort(var.list))))
in_template = "${length(var.list)} items: ${join(" ", var.list)}"
args_multiline = join(
  ",",
  [
    "a",
    "b",
  ],
)
trailing_comma_args = max(1, 2,)
