# slack: posts the message to a Slack incoming webhook (param webhook_url).
# The message is $NOTIFY_MESSAGE, or "[pipeline/job] Build #N - status"
# when the notification gives none. Sent by pikoci itself (no curl needed).
notification_type "slack" {
  params = ["webhook_url"]

  notify "exec" {
    path = "/proc/self/exe"
    args = ["builtin", "slack"]
  }
}
