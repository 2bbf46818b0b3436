# trigger: versions that come from `put "trigger" "x"` steps, recorded by the
# server: a put's params plus trigger_pipeline, trigger_job and trigger_build
# become a version of resource "trigger" "x" in every pipeline declaring it,
# and the jobs that get it with trigger = true start at once. The check finds
# nothing by itself; a get shows the version's fields ($version_* in its
# pull, $GET_<NAME>_<KEY> after it). Outside a server (pikoci run) a put has
# nowhere to go: it succeeds and does nothing.
resource_type "trigger" {
  check "exec" {
    path = "/bin/sh"
    args = ["-c", "echo '[]'"]
  }
  pull "exec" {
    path = "/bin/sh"
    args = ["-c", "env | sort | grep '^version_' || true"]
  }
  push "exec" {
    path = "/bin/true"
  }
}
