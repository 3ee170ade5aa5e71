tasks "t" {
  path = "x.jsonl"
}

sandbox "py" {
}

experiment "e" {
  tasks = tasks.t

  stage "execute" "a" { # ERROR: Dependency cycle between stages
    sandbox = sandbox.py
    code    = score.b.code
    test    = task.test
  }

  stage "score" "b" {
    execution = execute.a
    code      = task.code_prompt
  }
}
