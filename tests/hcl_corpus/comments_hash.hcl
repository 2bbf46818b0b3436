# a hash comment at the top
a = 1 # trailing hash comment
#no space after the hash
b = [ # comment after an opening bracket
  1, # after an element
  # on its own line inside a tuple
  2
]
block "x" { # after an opening brace
  # inside a body
  c = 3 # after an attribute in a block
} # after a closing brace
#
