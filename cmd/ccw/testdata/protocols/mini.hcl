# A small protocol for diagnostics tests: execute each turn's code, and
# append "!" to it in the "loud" combination.

variable "sandbox" {
  type = sandbox
}

variable "suffix" {
  type    = string
  default = "!"
}

protocol "mini" {
  turns = 2
  until = score.turn.passed

  combination "quiet" {
    loud = false
  }
  combination "loud" {
    loud = true
  }

  stage "let" "code" {
    value = task.canonical_solution
  }
  stage "execute" "code" {
    sandbox = var.sandbox
    code    = let.code
    test    = task.test
  }
  stage "score" "turn" {
    execution = execute.code
    code      = let.code
  }

  turn {
    stage "let" "code" {
      value = combination.loud ? "${prev.let.code}${var.suffix}" : prev.let.code
    }
    stage "execute" "code" {
      sandbox = var.sandbox
      code    = let.code
      test    = task.test
    }
    stage "score" "turn" {
      execution = execute.code
      code      = let.code
    }
  }
}
