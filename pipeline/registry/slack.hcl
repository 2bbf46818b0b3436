# slack: posts the message to a Slack incoming webhook (param webhook_url).
# The message is $NOTIFY_MESSAGE, or PikoCI's default line when the
# notification gives none: "<icon> [pipeline/job] Build #N - success"
# (failure, cancel), "[pipeline/job] Build #N" for a notify step, plus
# " - <link>" with param base_url. Sent by pikoci itself (no curl needed).
notification_type "slack" {
  params = ["webhook_url", "base_url"]

  notify "exec" {
    path = "/proc/self/exe"
    args = ["builtin", "slack"]
  }
}
