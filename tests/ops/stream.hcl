# The backup test's pipeline: a job triggered again and again whose log is
# long enough, with a pause in the middle, to be mid-stream during a backup.
job "print" {
  task "lines" {
    run "shell" {
      cmd = "i=0; while [ $i -lt 400 ]; do echo \"build $BUILD_NUMBER line $i\"; i=$((i+1)); [ $i -eq 200 ] && sleep 0.3; done; echo END"
    }
  }
}
