job "test" {
  for_each = toset(["1.21", "1.22"])
  task "unit" {
    run "docker" {
      image = "golang:${each.key}"
      cmd   = "go test ./... # ${each.value.os}/${each.value.arch}"
    }
  }
}

job "build" {
  for_each = { for pair in setproduct(["linux", "darwin"], ["amd64", "arm64"]) : "${pair[0]}-${pair[1]}" => { os = pair[0], arch = pair[1] } }
  task "compile" {
    run "shell" {
      cmd = "GOOS=${each.value.os} GOARCH=${each.value.arch} go build"
    }
  }
}
