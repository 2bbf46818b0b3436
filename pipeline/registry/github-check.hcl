# github-check: creates and completes GitHub check runs as a GitHub App.
# Params app_id, installation_id, private_key (PEM text or a file path),
# repository (owner/name), base_url (pikoci's address, for the details
# link) and api_url (default https://api.github.com). A notify with
# status = "in_progress" opens a check run, one with conclusion = "success"
# (failure, cancelled...) completes it; an automatic notification concludes
# from the build's status. Optional notify attributes: name (default
# pipeline/job) and head_sha (default HEAD of the git repository in
# $WORKDIR). The JWT is signed in pikoci (no openssl, curl or jq needed).
notification_type "github-check" {
  params = ["app_id", "installation_id", "private_key", "repository", "base_url", "api_url"]

  notify "exec" {
    path = "/proc/self/exe"
    args = ["builtin", "github-check"]
  }
}

# creates and completes GitHub check runs from put steps.
# PikoCI's older form, still in its dogfood pipeline: put "github-check"
# "ci" { status = "in_progress" } opens the check run, a put with conclusion = "success"
# (failure, ...) completes it; optional put attributes name, head_sha and
# details_url. A put with neither status nor conclusion is an error, as in
# PikoCI's type.
resource_type "github-check" {
  params = ["app_id", "installation_id", "private_key", "repository", "base_url", "api_url"]

  push "exec" {
    path = "/proc/self/exe"
    args = ["builtin", "github-check-put"]
  }
}
