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
