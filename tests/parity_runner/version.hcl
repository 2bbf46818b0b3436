# Nested version fields reach pull and push commands flattened, as PikoCI
# gives them: version_metadata_sha, version_tags_0.
resource_type "meta" {
  check "exec" {
    path = "/bin/sh"
    args = ["-ec", "echo '[{\"ref\":\"abc123\",\"metadata\":{\"sha\":\"s1\",\"author-name\":\"ann\"},\"tags\":[\"t0\",\"t1\"]}]'"]
  }
  pull "exec" {
    path = "/bin/sh"
    args = ["-ec", "echo \"pull ref=$version_ref sha=$version_metadata_sha author=$version_metadata_author_name tags=$version_tags_0,$version_tags_1 raw=$${version_metadata:-unset}\""]
  }
  push "exec" {
    path = "/bin/sh"
    args = ["-ec", "echo \"push ref=$version_ref sha=$version_metadata_sha msg=$put_msg\""]
  }
}

resource "meta" "m" {}

job "flat" {
  get "meta" "m" {}
  put "meta" "m" {
    msg = "hi"
  }
}
