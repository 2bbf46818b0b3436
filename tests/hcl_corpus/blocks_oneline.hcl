empty {}
empty_label "x" {}
one_attr { a = 1 }
one_attr_labels "x" "y" { b = "two" }
one_attr_complex { c = [1, 2, { d = 3 }] }
spaced_empty "x" {   }
