outer "o" {
  a = 1
  middle "m" {
    b = 2
    inner {
      c = 3
      innermost "x" "y" {
        d = 4
      }
    }
  }
  after = "attr after nested block"
}
