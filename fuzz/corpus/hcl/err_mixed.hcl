a = "unterminated
b = [1, 2
c {
  d = f(1,
}
"${"nested ${"deep"}"}"
%{ if }
