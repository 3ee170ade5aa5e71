tasks "t" {
  path = "x.jsonl"
}

sandbox "py" {
}

experiment "e" {
  tasks        = tasks.t
  until        = score.turn.passed
  combinations = ["cf", "w/ CF SEF", "cf_ef_fulll"] # ERROR: Unknown combination

  combination "cf" {
    label     = "w/ CF"
    execution = "none"
    verbal    = "none"
  }
  combination "cf_sef" {
    label     = "w/ CF SEF"
    execution = "none"
    verbal    = "expert"
  }

  stage "let" "code" {
    value = prev.let.code # ERROR: prev at turn 0
  }
  stage "execute" "code" {
    sandbox = sandbox.py
    code    = let.code
    test    = task.test
  }
  stage "score" "turn" {
    execution = execute.code
    code      = let.code
  }

  turn { # ERROR: Missing turns
    stage "let" "code" {
      value = combination.verbl == "none" ? prev.let.code : "" # ERROR: Unknown combination attribute
    }
    stage "let" "fix" {
      value = prev.extract.fix.code # ERROR: prev reads a stage turn 0 lacks
    }
    stage "let" "index" {
      value = turn.idx # ERROR: Unknown turn attribute
    }
    stage "extract" "fix" { # ERROR: Dependency cycle between stages
      text = refine.fix.text
    }
    stage "refine" "fix" {
      model    = null
      template = extract.fix.code
    }
    stage "execute" "code" {
      sandbox = sandbox.py
      code    = let.code
      test    = task.test
    }
    stage "score" "turn" {
      execution = execute.code
      code      = let.code
    }
  }
}
