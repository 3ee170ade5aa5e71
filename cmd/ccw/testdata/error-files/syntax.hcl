tasks "t" {
  path = "x.jsonl"
}

experiment "e" {
  tasks = tasks.t
  stage "score" "s" {
    code = = "x" # ERROR: Invalid expression
  }
}
