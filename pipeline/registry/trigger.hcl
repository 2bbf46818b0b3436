# trigger: versions that come from `put "trigger" "x"` steps or from the CLI,
# recorded by the server. Outside a server (pikoci run) there is no event
# stream, so a check finds nothing and a put has nowhere to go: both succeed
# and do nothing.
resource_type "trigger" {
  check "exec" {
    path = "/bin/sh"
    args = ["-c", "echo '[]'"]
  }
  push "exec" {
    path = "/bin/true"
  }
}
