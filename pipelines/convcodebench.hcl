# ConvCodeBench (ICLR 2025), the static protocol: a reference model's
# ConvCodeWorld logs are a frozen conversation, and the model under test
# only writes the next code at each turn (../shared/docs/protocol.md §5,
# metrics §6). No simulated user is called: the verbal feedback is
# replayed from the reference's logs, so a run costs about one model call
# per task and turn, and every turn of every task runs at once.
#
# An experiment runs it with protocol = "convcodebench":
#
#   experiment "reflectioncoder" {
#     protocol  = "convcodebench"
#     tasks     = tasks.bcb
#     coder     = model.coder
#     sandbox   = sandbox.py
#     reference = "results/codellama"   # a ccw ConvCodeWorld run, or ccw import convcodeworld's output
#     output    = "results/reflectioncoder-static"
#   }
#
# At turn i (1..turns) of a task, in each combination:
#
#   - the previous code is the reference's code at turn i-1 (turn 0: its
#     initial code); its compilation feedback is recomputed;
#   - the execution feedback is rendered from the reference's evaluation
#     of that code (after a compile repair of the model's own, corrected
#     fidelity executes the repaired code instead, as the live protocol
#     does);
#   - the verbal feedback is the reference's at turn i, replayed (null
#     stays null);
#   - a task the reference had solved by turn i-1 emits the reference's
#     code unchanged (corrected: with the reference's evaluation; original:
#     with the header prepended again, and executed).
#
# Turn 0 is the model's own initial code (generated, or loaded from
# `initial`): the static metrics credit it (compensate_init) and
# exclude_init_solved reads it. Every turn's rows of score.turn are the
# model's; score.reference records, at turn i, the reference's status at
# turn i-1, so that metrics.parquet is computed from this run alone.

variable "coder" {
  type        = model
  description = "The model under test: it writes its initial code and the code of every turn."
}

variable "sandbox" {
  type        = sandbox
  description = "Where generated code runs, and whose Python checks its syntax."
}

variable "reference" {
  type        = string
  description = "The reference's logs: a ccw ConvCodeWorld results directory (or its turns.parquet), or the output of ccw import convcodeworld."
}

variable "reference_stage" {
  type        = string
  default     = "score.turn"
  description = "The score stage whose rows in the reference's turns.parquet are its turns."
}

variable "fidelity" {
  type        = string
  default     = "corrected"
  description = "corrected (default) or original: reproduce the original's defects (protocol.md §10, the README's fidelity table)."
}

variable "initial" {
  type        = string
  default     = null
  description = "A jsonl file of the model's pre-generated turn-0 solutions ({task_id, solution}); null generates them."
}

variable "prompts" {
  type        = map(string)
  default     = {}
  description = "Prompt templates by kind, replacing the built-in ones (prompt_template(kind) shows a built-in one)."
}

variable "cf_repairs" {
  type        = number
  default     = 3
  description = "Compile-repair calls per turn (0 to 3); never for novice combinations."
}

variable "compensate_init" {
  type        = bool
  default     = true
  description = "MRR credits the model's own turn-0 pass (the original's default)."
}

variable "exclude_init_solved" {
  type        = bool
  default     = false
  description = "MRR and Recall leave out the tasks the model solves at turn 0."
}

locals {
  original = var.fidelity == "original"
  style    = local.original ? "dspy" : "ccw"
  prompt = {
    for kind in [
      "instruct", "refine_from_compilation_feedback", "refine_from_execution_feedback",
      "refine_from_user_feedback", "refine_from_execution_user_feedback",
    ] : kind => lookup(var.prompts, kind, kind == "instruct" ? prompt_template(kind) : prompt_template(kind, local.style))
  }
  code_field = "Code:"
  reference  = endswith(var.reference, ".parquet") ? var.reference : "${trimsuffix(var.reference, "/")}/turns.parquet"
}

protocol "convcodebench" {
  description = "ConvCodeBench: the next code after a reference model's frozen feedback history, every turn independent."
  turns       = 10
  # No stop rule: a static turn never waits for the one before.
  metrics = {
    protocol            = "static"
    stage               = "score.turn"
    reference           = "score.reference"
    compensate_init     = var.compensate_init
    exclude_init_solved = var.exclude_init_solved
  }

  # ------------------------------------------------------------------
  # The combinations with verbal feedback the original prints for
  # ConvCodeBench (protocol.md §3, #5-#9). Others can be added in the
  # experiment if the reference has them.

  combination "cf_ef_partial_snf" {
    label     = "w/ CF EF (partial TC) SNF"
    execution = "partial"
    verbal    = "novice"
  }
  combination "cf_ef_full_snf" {
    label     = "w/ CF EF (full TC) SNF"
    execution = "full"
    verbal    = "novice"
  }
  combination "cf_sef" {
    label     = "w/ CF SEF"
    execution = "none"
    verbal    = "expert"
  }
  combination "cf_ef_partial_sef" {
    label     = "w/ CF EF (partial TC) SEF"
    execution = "partial"
    verbal    = "expert"
  }
  combination "cf_ef_full_sef" {
    label     = "w/ CF EF (full TC) SEF"
    execution = "full"
    verbal    = "expert"
  }

  # ------------------------------------------------------------------
  # Turn 0: the model's own initial code, as in the live protocol.

  stage "load" "initial" {
    when  = var.initial != null
    path  = var.initial
    where = { task_id = task.task_id }
  }

  stage "generate" "initial" {
    when     = var.initial == null
    model    = var.coder
    template = local.prompt.instruct
    vars     = { input = task.instruct_prompt }
  }

  stage "sanitize" "initial" {
    when        = var.initial == null
    sandbox     = var.sandbox
    code        = generate.initial.text
    entry_point = task.entry_point
    fidelity    = local.original
  }

  stage "let" "header" {
    value = split("def ${task.entry_point}", task.code_prompt)[0]
  }

  stage "let" "code" {
    value = (
      local.original ? (var.initial != null ? load.initial.record.solution : sanitize.initial.code) :
      startswith(var.initial != null ? load.initial.record.solution : sanitize.initial.code, let.header) ?
      (var.initial != null ? load.initial.record.solution : sanitize.initial.code) :
      "${let.header}${var.initial != null ? load.initial.record.solution : sanitize.initial.code}"
    )
  }

  stage "let" "program" {
    value = local.original ? "${task.code_prompt}\n    pass\n${let.code}" : let.code
  }

  stage "compile" "code" {
    sandbox = var.sandbox
    code    = let.code
  }

  stage "execute" "code" {
    sandbox = var.sandbox
    code    = let.program
    test    = task.test
  }

  stage "score" "turn" {
    execution  = execute.code
    code       = let.program
    compiled   = compile.code.ok
    model      = var.initial != null ? null : generate.initial.model
    tokens_in  = var.initial != null ? null : generate.initial.tokens_in
    tokens_out = var.initial != null ? null : generate.initial.tokens_out
    latency_ms = var.initial != null ? null : generate.initial.latency_ms
    cost_usd   = var.initial != null ? null : generate.initial.cost_usd
  }

  # ------------------------------------------------------------------
  # Turns 1..turns. Nothing here reads prev: every turn is independent.

  turn {
    # The reference's last logged row up to turn i-1. A live run logs no
    # turn after a pass, so for a task solved earlier this is the passing
    # row; for any other task it must be turn i-1 itself (load.previous
    # says so when the reference lacks it).
    stage "load" "last" {
      path    = local.reference
      where   = { stage = var.reference_stage, combination = combination.name, task_id = task.task_id }
      at_most = { turn = turn.index - 1 }
    }

    stage "let" "solved" {
      value = load.last.record.passed == "true"
    }

    stage "load" "previous" {
      when  = !let.solved
      path  = local.reference
      where = { stage = var.reference_stage, combination = combination.name, task_id = task.task_id, turn = turn.index - 1 }
    }

    # The reference's turn i: its verbal feedback is replayed.
    stage "load" "current" {
      when  = !let.solved
      path  = local.reference
      where = { stage = var.reference_stage, combination = combination.name, task_id = task.task_id, turn = turn.index }
    }

    # The reference's row of turn i-1 (or of its pass before).
    stage "let" "row" {
      value = let.solved ? load.last.record : load.previous.record
    }

    # The reference at turn i-1: its code (turn 0 without the original's
    # calibration prefix, which a run with fidelity = "original" logs as
    # the executed program) and its evaluation, as an execution result.
    stage "let" "reference" {
      value = {
        row  = let.row
        code = trimprefix(let.row.code, turn.index == 1 ? "${task.code_prompt}\n    pass\n" : "")
        execution = {
          status       = let.row.status
          passed       = let.solved
          tests        = jsondecode(let.row.tests)
          tests_run    = jsondecode(let.row.tests_run)
          tests_failed = jsondecode(let.row.tests_failed)
          limit        = let.row.limit
          reason       = try(let.row.reason, "")
          output       = let.row.output
          duration_ms  = jsondecode(let.row.exec_ms)
          limits       = null
        }
      }
    }

    stage "let" "header" {
      value = split("def ${task.entry_point}", task.code_prompt)[0]
    }

    stage "test_methods" "all" {
      sandbox = var.sandbox
      test    = task.test
    }

    # Step 3: compilation feedback on the reference's code, recomputed.
    stage "compile" "previous" {
      sandbox = var.sandbox
      code    = let.reference.code
    }

    # Step 4: the model's own compile repairs, as in the live protocol.
    stage "refine" "cf1" {
      when     = !let.solved && !compile.previous.ok && combination.verbal != "novice" && var.cf_repairs >= 1
      model    = var.coder
      template = local.prompt.refine_from_compilation_feedback
      vars = {
        input                = task.instruct_prompt
        previous_code        = let.reference.code
        compilation_feedback = compile.previous.feedback
      }
    }
    stage "extract" "cf1" {
      when     = refine.cf1 != null
      text     = refine.cf1.text
      field    = local.code_field
      fidelity = local.original
    }
    stage "let" "cf1" {
      value = extract.cf1 == null ? null : (extract.cf1.has_code ? extract.cf1.code : let.reference.code)
    }
    stage "compile" "cf1" {
      when    = let.cf1 != null
      sandbox = var.sandbox
      code    = let.cf1
    }
    stage "refine" "cf2" {
      when     = compile.cf1 != null && !try(compile.cf1.ok, true) && var.cf_repairs >= 2
      model    = var.coder
      template = local.prompt.refine_from_compilation_feedback
      vars = {
        input                = task.instruct_prompt
        previous_code        = let.cf1
        compilation_feedback = compile.cf1.feedback
      }
    }
    stage "extract" "cf2" {
      when     = refine.cf2 != null
      text     = refine.cf2.text
      field    = local.code_field
      fidelity = local.original
    }
    stage "let" "cf2" {
      value = extract.cf2 == null ? null : (extract.cf2.has_code ? extract.cf2.code : let.cf1)
    }
    stage "compile" "cf2" {
      when    = let.cf2 != null
      sandbox = var.sandbox
      code    = let.cf2
    }
    stage "refine" "cf3" {
      when     = compile.cf2 != null && !try(compile.cf2.ok, true) && var.cf_repairs >= 3
      model    = var.coder
      template = local.prompt.refine_from_compilation_feedback
      vars = {
        input                = task.instruct_prompt
        previous_code        = let.cf2
        compilation_feedback = compile.cf2.feedback
      }
    }
    stage "extract" "cf3" {
      when     = refine.cf3 != null
      text     = refine.cf3.text
      field    = local.code_field
      fidelity = local.original
    }

    stage "let" "repair" {
      value = {
        code = (
          try(compile.cf1.ok, false) ? let.cf1 :
          try(compile.cf2.ok, false) ? let.cf2 :
          extract.cf3 != null ? (extract.cf3.has_code ? extract.cf3.code : let.cf2) :
          let.cf2 != null ? let.cf2 :
          let.cf1 != null ? let.cf1 :
          let.reference.code
        )
        repaired = refine.cf1 != null
        ends     = refine.cf1 != null && !(try(compile.cf1.ok, false) || try(compile.cf2.ok, false))
      }
    }

    # Step 5. Corrected: a repaired program is executed, so that execution
    # feedback describes the code the model is shown. Otherwise (and in
    # the original) it is the reference's evaluation of its turn i-1.
    stage "execute" "repaired" {
      when    = !local.original && let.repair.repaired && !let.repair.ends && combination.execution != "none"
      sandbox = var.sandbox
      code    = startswith(let.repair.code, let.header) ? let.repair.code : "${let.header}${let.repair.code}"
      test    = task.test
    }

    stage "feedback" "execution" {
      when      = !let.solved && !let.repair.ends && combination.execution != "none"
      execution = execute.repaired != null ? execute.repaired : let.reference.execution
      coverage  = combination.execution
      visible   = test_methods.all.names
    }

    # Step 7, replayed: the reference's verbal feedback at turn i (null
    # when its user said nothing).
    stage "let" "verbal" {
      value = let.solved || let.repair.ends ? null : load.current.record.feedback_verbal
    }

    # Steps 6 and 8: the refine prompt the reference ran. Corrected: no
    # verbal feedback, no verbal refine. Original: the refine call is made
    # with a null user feedback, as the original's static mode does.
    stage "let" "refine" {
      value = (
        let.solved || let.repair.ends ? null :
        combination.verbal == "none" ? (
          feedback.execution != null && !try(feedback.execution.passed, true) ? "refine_from_execution_feedback" : null
        ) :
        !local.original && let.verbal == null ? null :
        feedback.execution != null && !try(feedback.execution.passed, true) ? "refine_from_execution_user_feedback" :
        combination.verbal == "expert" || let.verbal != null ? "refine_from_user_feedback" :
        !compile.previous.ok ? "refine_from_user_feedback" :
        null
      )
    }

    stage "refine" "code" {
      when         = let.refine != null
      model        = var.coder
      template     = local.prompt[let.refine]
      shorten      = "execution_feedback"
      shorten_from = try(feedback.execution.untrimmed, null)
      vars = {
        input              = task.instruct_prompt
        previous_code      = let.repair.code
        execution_feedback = try(feedback.execution.text, null)
        user_feedback      = let.verbal
      }
    }

    stage "extract" "code" {
      when     = refine.code != null
      text     = refine.code.text
      field    = local.code_field
      fidelity = local.original
    }

    # Step 9: the turn's code. A solved task keeps the reference's code
    # (original: with the header prepended again, as every turn does).
    stage "let" "code" {
      value = (
        local.original ? "${let.header}${extract.code != null ? extract.code.code : let.repair.code}" :
        let.solved ? let.reference.code :
        extract.code != null && try(extract.code.has_code, false) ? (
          startswith(extract.code.code, let.header) ? extract.code.code : "${let.header}${extract.code.code}"
        ) :
        let.repair.repaired ? (
          startswith(let.repair.code, let.header) ? let.repair.code : "${let.header}${let.repair.code}"
        ) :
        let.reference.code
      )
    }

    stage "compile" "code" {
      sandbox = var.sandbox
      code    = let.code
    }

    # Corrected: solved code is not executed again; its row carries the
    # reference's evaluation.
    stage "execute" "code" {
      when    = local.original || !let.solved
      sandbox = var.sandbox
      code    = let.code
      test    = task.test
      rerun   = local.original ? turn.index : null
    }

    # The reference's status at turn i-1 (r(i-1) of the static metrics),
    # recorded as a row of turn i-1.
    stage "score" "reference" {
      execution = let.reference.execution
      code      = let.reference.code
      turn      = turn.index - 1
      model     = let.reference.row.model
    }

    stage "score" "turn" {
      execution            = execute.code == null ? let.reference.execution : execute.code
      code                 = let.code
      compiled             = compile.code.ok
      feedback_compilation = let.solved ? null : compile.previous.feedback
      feedback_execution   = try(feedback.execution.text, null)
      feedback_verbal      = refine.code != null ? let.verbal : null
      model                = try(coalesce(try(refine.code.model, null), try(refine.cf1.model, null), let.reference.row.model), null)
      tokens_in            = sum([for s in [refine.cf1, refine.cf2, refine.cf3, refine.code] : try(s.tokens_in, 0)])
      tokens_out           = sum([for s in [refine.cf1, refine.cf2, refine.cf3, refine.code] : try(s.tokens_out, 0)])
      latency_ms           = sum([for s in [refine.cf1, refine.cf2, refine.cf3, refine.code] : try(s.latency_ms, 0)])
      cost_usd             = sum([for s in [refine.cf1, refine.cf2, refine.cf3, refine.code] : try(s.cost_usd, 0)])
    }
  }
}
