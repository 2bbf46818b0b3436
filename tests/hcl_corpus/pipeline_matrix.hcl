job "matrix" {
  matrix {
    go = ["1.21", "1.22"]
    os = var.nested.os
  }
  task "t" {
    run "exec" {
      path = "echo"
      args = [each.key, each.value.os, join("/", [var.name, each.key])]
    }
  }
}
