a = 1 # hash
b = 2 // slash
c = 3 /* block */
/* block */ d = 4
# final comment without a trailing newline