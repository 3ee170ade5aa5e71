tasks "t" {
  path = "x.jsonl"
}

sandbox "py" {
}

experiment "e" {
  tasks = tasks.t

  stage "execute" "run" {
    sandbox = sandbox.py
    code    = "${task.complete_prompt}${task.canonical_solution}"
    test    = task.test
  }

  stage "score" "run" {
    execution = execute.run
    code      = task.complete_prompt
  }
}
