# Reference run: ccw's own 17 tasks (examples/tasks/ccw-mini.jsonl), their
# reference solutions run against their tests in Debian's Python. No
# network, a few seconds. Every status shows up: most pass, some fail, one
# fails at import (ALL), one times out.
#
#   ccw run examples/reference.hcl
#   ccw run examples/reference.hcl      # again: nothing executes, all cached
#   ccw report results/reference

variable "timeout" {
  type    = string
  default = "3s"
}

tasks "mini" {
  source = "file"
  path   = "${path.dir}/tasks/ccw-mini.jsonl"
}

sandbox "py" {
  python  = "/usr/bin/python3"
  timeout = var.timeout
}

experiment "reference" {
  tasks  = tasks.mini
  output = "results/reference"

  stage "execute" "reference" {
    sandbox = sandbox.py
    code    = "${task.complete_prompt}\n${task.canonical_solution}"
    test    = task.test
  }

  stage "score" "reference" {
    execution = execute.reference
    code      = "${task.complete_prompt}\n${task.canonical_solution}"
  }
}
