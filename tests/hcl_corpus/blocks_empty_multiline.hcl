empty {
}
empty_with_blank_lines "x" {


}
empty_with_comment {
  # nothing here
}
