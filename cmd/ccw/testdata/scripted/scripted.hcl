# A scripted run for the tests of diff, report --html, plan --cost and
# cache gc: the ConvCodeWorld protocol on ccw-mini with mock models whose
# answers the variables choose, so that two runs differ in known tasks.
#
#   right: tasks (by index) the coder solves at turn 0;
#   fix:   tasks it solves once it sees a failing test's traceback;
#   every other task gets a wrong answer at every turn.

variable "right" {
  type    = list(number)
  default = [0, 1, 2, 3]
}

variable "fix" {
  type    = list(number)
  default = [4, 5]
}

variable "turns" {
  type    = number
  default = 2
}

variable "combinations" {
  type    = list(string)
  default = ["cf", "cf_ef_full", "cf_ef_full_sef"]
}

locals {
  tasks  = [for line in compact(split("\n", file("${path.dir}/../../../../examples/tasks/ccw-mini.jsonl"))) : jsondecode(line)]
  marker = [for t in local.tasks : regex_replace(substr(t.instruct_prompt, 0, 30), "[^A-Za-z]", ".")]
  right  = [for t in local.tasks : "```python\n${t.complete_prompt}${t.canonical_solution}\n```"]
  wrong  = [for t in local.tasks : "```python\n${t.code_prompt}    return None\n```"]
}

tasks "mini" {
  path = "${path.dir}/../../../../examples/tasks/ccw-mini.jsonl"
}

sandbox "py" {
  python  = "/usr/bin/python3"
  timeout = "5s"
}

model "coder" {
  provider = "mock"
  name     = "ccw-scripted-coder"
  mock = concat(
    [for i in var.fix : { match = "(?s)${local.marker[i]}.*Traceback", reply = local.right[i] }],
    [for i, t in local.tasks : {
      match = "(?s)^Solve the following.*${local.marker[i]}"
      reply = contains(var.right, i) ? local.right[i] : local.wrong[i]
    }],
    [for i, t in local.tasks : { match = "(?s)${local.marker[i]}", reply = local.wrong[i] }],
  )
}

model "user" {
  provider     = "mock"
  name         = "ccw-scripted-user"
  mock_default = "User Feedback: compare your result with the examples.\n\n---"
}

experiment "scripted" {
  protocol     = "convcodeworld"
  tasks        = tasks.mini
  coder        = model.coder
  simulator    = model.user
  sandbox      = sandbox.py
  turns        = var.turns
  combinations = var.combinations
  output       = "results/scripted"
}
