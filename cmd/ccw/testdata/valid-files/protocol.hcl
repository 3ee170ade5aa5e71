tasks "t" {
  path = "x.jsonl"
}

sandbox "py" {
}

experiment "mini" {
  protocol = "../protocols/mini.hcl"
  tasks    = tasks.t
  sandbox  = sandbox.py
  turns    = 3

  # A third combination, added by the experiment.
  combination "shout" {
    label = "Shout"
    loud  = true
  }
}
