/* a block comment at the top */
a /* between name and equals */ = /* after equals */ 1
b = [1, /* inside a tuple */ 2]
c = 1 + /* inside an operation */ 2
block /* before a label */ "x" /* after a label */ {
  d = 4 /* trailing block comment */
}
/*
 * a multi-line block comment
 * with * and / and # and // inside
 */
e = "/* not a comment in a string */"
f = "# nor this // one"
g = [
  1, /* spanning
        lines inside a tuple */ 2,
]
