tasks "t" {
  path = "x.jsonl"
}

sandbox "py" {
}

experiment "unknown" {
  protocol = "convcodewold" # ERROR: Unknown protocol
  tasks    = tasks.t
}

experiment "args" { # ERROR: Missing protocol parameter
  protocol = "../protocols/mini.hcl"
  tasks    = tasks.t
  sufix    = "?" # ERROR: Unknown protocol parameter
  until    = true # ERROR: Unexpected until

  combination "whisper" { # ERROR: Missing combination attribute
    label = "whisper"
  }

  stage "let" "mine" { # ERROR: Unexpected stage block
    value = 1
  }
}

experiment "types" {
  protocol = "../protocols/mini.hcl"
  tasks    = tasks.t
  sandbox  = "py" # ERROR: Invalid value for protocol parameter
}
