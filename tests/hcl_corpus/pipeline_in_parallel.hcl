job "checks" {
  in_parallel {
    limit     = 2
    fail_fast = true
    get "git" "a" {
      trigger = true
    }
    task "lint" {
      run "shell" {
        cmd = "make lint"
      }
    }
    task "vet" {
      run "shell" {
        cmd = "make vet"
      }
    }
    timeout  = "10m"
    attempts = 2
  }
}
