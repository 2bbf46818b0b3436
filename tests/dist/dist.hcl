# The distributed tests' pipeline: a job that needs a gpu-tagged worker and
# one any worker may take. Each task prints the worker's name ($WORKER_NAME
# is set by the test in each worker's environment).
job "gpu" {
  tags = ["gpu"]
  task "train" {
    run "shell" {
      cmd = "echo trained on $WORKER_NAME"
    }
  }
}

job "plain" {
  task "build" {
    run "shell" {
      cmd = "echo built on $WORKER_NAME"
    }
  }
}
