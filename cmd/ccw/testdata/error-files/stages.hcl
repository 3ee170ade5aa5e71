variable "n" {
  type    = number
  default = 1
}

tasks "t" {
  path = "x.jsonl"
}

sandbox "py" {
}

experiment "e" {
  tasks = tasks.t

  stage "execute" "run" {
    sandbox = sandbox.py
    code    = task.canonical_soluton # ERROR: Unknown task field
    test    = task.test
    timeot  = "3s" # ERROR: Unsupported argument
  }

  stage "execute" "run" { # ERROR: Duplicate stage
    sandbox = sandbox.py
    code    = "x"
    test    = "y"
  }

  stage "excute" "typo" { # ERROR: Unknown stage kind
  }

  stage "execute" "untyped" {
    sandbox = "py" # ERROR: Incorrect attribute value type
    code    = var.m # ERROR: Reference to undeclared variable
    test    = upper(task.test, 2) # ERROR: Too many function arguments
  }

  stage "execute" "missing" { # ERROR: Missing required argument
    sandbox = sandbox.py
    test    = task.test
  }

  stage "score" "s" {
    execution = execute.nothere # ERROR: Reference to undeclared execute stage
    code      = tsk.code_prompt # ERROR: Unknown reference
    turn      = frobnicate(1) # ERROR: Call to unknown function
  }
}
