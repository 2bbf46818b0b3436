indexed = "%{ for i, x in var.list }${i}=${x};%{ endfor }"
object = "%{ for k, v in var.obj }${k}:${v} %{ endfor }"
