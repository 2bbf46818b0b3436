my-attr = 1
with_underscore = 2
dash-and_under-score = 3
trailing-dash- = 4
my-block "x" {
  inner-attr = "y"
}
bare-label-block some-label {
}
