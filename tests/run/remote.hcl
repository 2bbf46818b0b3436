# A resource type whose definition is fetched from a URL when the pipeline is set.
variable "definition" {
  type = string
}

resource_type "remote" {
  source = var.definition
  params = ["greeting"]
}

resource "remote" "thing" {
  params {
    greeting = "hi-from-params"
  }
}

job "use" {
  get "remote" "thing" {
    trigger = true
  }
  task "show" {
    run "shell" {
      cmd = "cat thing.txt"
    }
  }
}
