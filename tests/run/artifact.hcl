# The built-in artifact type (embedded definition, no declaration needed):
# one job publishes a directory, another gets it back.
resource "artifact" "bundle" {
  params {
    dir = "bundle"
  }
}

job "produce" {
  task "make" {
    run "shell" {
      cmd = "mkdir -p bundle && echo built-by-produce > bundle/file"
    }
  }
  put "artifact" "bundle" {
    dir = "bundle"
  }
}

job "consume" {
  get "artifact" "bundle" {
    trigger = true
  }
  task "show" {
    run "shell" {
      cmd = "cat bundle/file; echo sha=$GET_BUNDLE_SHA"
    }
  }
}
