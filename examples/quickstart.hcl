# Quickstart: the whole ConvCodeWorld protocol (9 feedback combinations,
# 10 turns) on ccw's own 17 tasks (examples/tasks/ccw-mini.jsonl), offline,
# in seconds. The coder and the simulated user are mock models that answer
# from the scripts below, so that every path of the protocol shows up:
#
#   - tasks 0-3: the first answer is right (solved at turn 0);
#   - tasks 4, 5: fixed once the coder sees a failing test's traceback
#     (execution feedback);
#   - tasks 6, 7: fixed only after the expert's hint (SEF);
#   - task 8: fixed after the novice's note (SNF with execution feedback);
#   - task 9: the first repair has a syntax error, which a compile repair
#     then fixes;
#   - task 10: the coder answers without any code;
#   - tasks 11-16: the coder gives the (wrong) reference, never fixed.
#
#   ccw run examples/quickstart.hcl
#   ccw report results/quickstart
#   ccw run examples/quickstart.hcl      # again: nothing runs, all cached

variable "timeout" {
  type    = string
  default = "6s"
}

variable "turns" {
  type    = number
  default = 10
}

variable "combinations" {
  type        = list(string)
  default     = null
  description = "Names or labels of the combinations to run; null runs all nine."
}

variable "fidelity" {
  type    = string
  default = "corrected"
}

locals {
  tasks = [for line in compact(split("\n", file("${path.dir}/tasks/ccw-mini.jsonl"))) : jsondecode(line)]
  # A pattern that finds a task's text in a prompt: the start of its
  # statement, with every character that is not a letter matching any.
  marker = [for t in local.tasks : regex_replace(substr(t.instruct_prompt, 0, 30), "[^A-Za-z]", ".")]
  right  = [for t in local.tasks : "```python\n${t.complete_prompt}${t.canonical_solution}\n```"]
  wrong  = [for t in local.tasks : "```python\n${t.code_prompt}    return None\n```"]
  broken = "```python\ndef task_func(:\n    return\n```"
}

tasks "mini" {
  path = "${path.dir}/tasks/ccw-mini.jsonl"
}

sandbox "py" {
  python  = "/usr/bin/python3"
  timeout = var.timeout
}

model "coder" {
  provider = "mock"
  name     = "ccw-quickstart-coder"
  mock = concat(
    # A compile repair of task 9 (its feedback names the SyntaxError).
    [{ match = "(?s)${local.marker[9]}.*(SyntaxError|invalid syntax)", reply = local.right[9] }],
    # Task 9's first repair breaks the syntax; task 10 answers in prose.
    [{ match = "(?s)${local.marker[9]}.*(Traceback|EXPERT-HINT|NOVICE-NOTE)", reply = local.broken }],
    [{ match = "(?s)${local.marker[10]}.*(Traceback|EXPERT-HINT|NOVICE-NOTE)", reply = "I read the feedback, but I do not know how to fix this one." }],
    # Fixed by execution feedback, by the expert, by the novice.
    [for i in [4, 5] : { match = "(?s)${local.marker[i]}.*Traceback", reply = local.right[i] }],
    [for i in [6, 7] : { match = "(?s)${local.marker[i]}.*EXPERT-HINT", reply = local.right[i] }],
    [{ match = "(?s)${local.marker[8]}.*NOVICE-NOTE", reply = local.right[8] }],
    # Turn 0: right for 0-3, wrong for 4-10, the reference for 11-16.
    [for i, t in local.tasks : {
      match = "(?s)^Solve the following.*${local.marker[i]}"
      reply = i < 4 ? local.right[i] : (i <= 10 ? local.wrong[i] : local.right[i])
    }],
  )
  mock_default = "```python\ndef task_func(*args, **kwargs):\n    return None\n```"
}

model "user" {
  provider = "mock"
  name     = "ccw-quickstart-user"
  mock = [
    { match = "Ground Truth Code", reply = "User Feedback: EXPERT-HINT: compare what your function returns with what the task asks for, case by case.\n\n---" },
  ]
  mock_default = "User Feedback: NOVICE-NOTE: I ran it and it still does not work for me.\n\n---"
}

experiment "quickstart" {
  protocol     = "convcodeworld"
  tasks        = tasks.mini
  coder        = model.coder
  simulator    = model.user
  sandbox      = sandbox.py
  turns        = var.turns
  fidelity     = var.fidelity
  combinations = var.combinations
  output       = "results/quickstart"
}
