# for_each must be a set or a map, and instance names must not collide.
job "raw" {
  for_each = ["a", "b"]
}

job "clash" {
  for_each = toset(["1.21", "1-21"])
}

job "test--linux" {
}

job "test" {
  for_each = toset(["linux", "darwin"])
}
