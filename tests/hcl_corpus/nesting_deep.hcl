tuple = [[[[[[[[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]]]]]]]
object = { a = { b = { c = { d = { e = { f = { g = { h = { i = { j = "deep" } } } } } } } } } }
parens = ((((((((((((((((((((1))))))))))))))))))))
calls = upper(lower(upper(lower(upper(lower(upper(lower("x"))))))))
blocks {
  b {
    c {
      d {
        e {
          f {
            g = "deep"
          }
        }
      }
    }
  }
}
