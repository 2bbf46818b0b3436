job "deploy" {
  task "detect-env" {
    run "shell" {
      cmd = "echo ENV=production >> $PIKOCI_OUTPUT"
    }
  }
  if "check-prod" {
    condition = "$TASK_DETECT_ENV_ENV == 'production'"
    task "deploy-prod" {
      run "shell" {
        cmd = "./deploy prod"
      }
    }
  }
  else_if "check-staging" {
    condition = "$TASK_DETECT_ENV_ENV == 'staging' && $BUILD_NUMBER > 1"
    task "deploy-staging" {
      run "shell" {
        cmd = "./deploy staging"
      }
    }
  }
  else {
    task "skip" {
      run "exec" {
        path = "true"
      }
    }
  }
}
