# Another pipeline listening to the same trigger stream.
resource "trigger" "deploy" {
}

job "listen" {
  get "trigger" "deploy" {
    trigger = true
  }
  task "show" {
    run "shell" {
      cmd = "echo heard sha=$GET_DEPLOY_BUILD_SHA from=$GET_DEPLOY_TRIGGER_PIPELINE"
    }
  }
}
