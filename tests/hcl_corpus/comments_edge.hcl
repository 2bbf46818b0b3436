a = 1 /**/
b = /* nested /* not */ 2
c = 3 /* // inside */
d = "x" # trailing /* not block
/* a */ /* b */ e = 5
f = [1 /* c */ , 2]
b /* x */ "l" /* y */ l2 /* z */ {
}
