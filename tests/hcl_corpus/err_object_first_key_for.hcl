# An object whose first key is the bare word "for" starts a for expression.
a = { for = 1 }
