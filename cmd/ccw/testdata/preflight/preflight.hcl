# A resource that cannot start must be reported once, at its block, before
# any task is scheduled (tests of issue 10).

variable "python" {
  type    = string
  default = "/usr/bin/python3"
}

variable "base_url" {
  type    = string
  default = "http://127.0.0.1:1/v1"
}

tasks "mini" {
  path = "${path.dir}/../../../../examples/tasks/ccw-mini.jsonl"
}

sandbox "py" {
  python = var.python
}

model "coder" {
  provider = "vllm"
  name     = "some-model"
  base_url = var.base_url
}

experiment "direct" {
  tasks  = tasks.mini
  output = "results/direct"

  stage "generate" "code" {
    model    = model.coder
    template = "Solve: $${input}"
    vars     = { input = task.instruct_prompt }
  }

  stage "execute" "code" {
    sandbox = sandbox.py
    code    = generate.code.text
    test    = task.test
  }
}

experiment "protocol" {
  protocol     = "convcodeworld"
  tasks        = tasks.mini
  coder        = model.coder
  simulator    = model.coder
  sandbox      = sandbox.py
  turns        = 1
  combinations = ["cf"]
  output       = "results/protocol"
}
