resource git app {
  a = 1
}
mixed "quoted" bare {
}
dashed some-name other_name {
}
