# discord: posts the message to a Discord webhook (param webhook_url).
# The message is $NOTIFY_MESSAGE, or "[pipeline/job] Build #N - status"
# when the notification gives none. Sent by pikoci itself (no curl needed).
notification_type "discord" {
  params = ["webhook_url"]

  notify "exec" {
    path = "/proc/self/exe"
    args = ["builtin", "discord"]
  }
}
