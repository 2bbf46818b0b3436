# Notifications: an undefined type, jobs and exclude together, bad "on".
notification_type "slack" {
  source = "pikoci://slack"
}

notification "slak" "ops" {
}

notification "slack" "team" {
  on      = ["sucess"]
  jobs    = ["build"]
  exclude = ["lint"]
}

job "build" {
}
