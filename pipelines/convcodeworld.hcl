# ConvCodeWorld (ICLR 2025), the live protocol: a model repairs its own code
# over up to `turns` turns of feedback on BigCodeBench-style tasks, under
# nine feedback combinations (../shared/docs/protocol.md §2–§4).
#
# An experiment runs it with protocol = "convcodeworld" and sets the
# variables below as its own attributes:
#
#   experiment "deepseek" {
#     protocol  = "convcodeworld"
#     tasks     = tasks.bcb
#     coder     = model.coder
#     simulator = model.user
#     sandbox   = sandbox.py
#     output    = "results/deepseek"
#   }
#
# Every experiment may also set turns (default 10) and combinations (names
# or labels, default all nine).
#
# Turn 0 is computed once per task and shared by every combination; turn
# t+1 of a task exists in a combination only if turn t did not pass. Every
# stage below is a generic stage kind: a changed prompt or a tenth
# combination needs no change to ccw (copy this file, point protocol at
# the copy, or add combination blocks in the experiment).

variable "coder" {
  type        = model
  description = "The model under test: it writes the initial code and every repair."
}

variable "simulator" {
  type        = model
  default     = null
  description = "The simulated user (novice or expert verbal feedback); needed by the SNF and SEF combinations."
}

variable "sandbox" {
  type        = sandbox
  description = "Where generated code runs, and whose Python checks its syntax."
}

variable "fidelity" {
  type        = string
  default     = "corrected"
  description = "corrected (default) or original: reproduce the original's defects (protocol.md §10, the README's fidelity table)."
}

variable "initial" {
  type        = string
  default     = null
  description = "A jsonl file of pre-generated turn-0 solutions ({task_id, solution}, the form the original ships); null generates them."
}

variable "prompts" {
  type        = map(string)
  default     = {}
  description = "Prompt templates by kind, replacing the built-in ones (prompt_template(kind) shows a built-in one)."
}

variable "schedule" {
  type        = string
  default     = "ccw"
  description = "ccw (default): a task stops when it passes; original: solved code is re-emitted and executed again every turn, as the original's loop does (fidelity = \"original\" implies it). For comparisons of the two schedules."
}

variable "cf_repairs" {
  type        = number
  default     = 3
  description = "Compile-repair calls per turn (0 to 3); never for novice combinations."
}

locals {
  original = var.fidelity == "original"
  # Solved code goes on and is executed again every turn.
  rerun = local.original || var.schedule == "original"
  style    = local.original ? "dspy" : "ccw"
  # Prompt templates: the experiment's, else ours in the chosen layout.
  prompt = {
    for kind in [
      "instruct", "refine_from_compilation_feedback", "refine_from_execution_feedback",
      "refine_from_user_feedback", "refine_from_execution_user_feedback", "simulate_user_feedback",
      "execution_simulate_user_feedback", "simulate_novice_feedback", "execution_simulate_novice_feedback",
    ] : kind => lookup(var.prompts, kind, kind == "instruct" ? prompt_template(kind) : prompt_template(kind, local.style))
  }
  # The output field the refine prompts ask the model to fill.
  code_field = "Code:"
}

protocol "convcodeworld" {
  description = "ConvCodeWorld: multi-turn repair with compilation, execution and simulated verbal feedback."
  turns       = 10 # the experiment's turns attribute sets another budget
  # A task stops once it passes. The original re-runs solved code every
  # turn instead (flakiness can make it fail again): fidelity = "original".
  until = local.rerun ? false : score.turn.passed

  # ------------------------------------------------------------------
  # The nine combinations of protocol.md §3, with the original's labels.
  # Compilation feedback is always on.

  combination "cf" {
    label     = "w/ CF"
    execution = "none"
    verbal    = "none"
  }
  combination "cf_ef_partial" {
    label     = "w/ CF EF (partial TC)"
    execution = "partial"
    verbal    = "none"
  }
  combination "cf_ef_full" {
    label     = "w/ CF EF (full TC)"
    execution = "full"
    verbal    = "none"
  }
  combination "cf_snf" {
    label     = "w/ CF SNF"
    execution = "none"
    verbal    = "novice"
  }
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
  # Turn 0: the initial code, generated (BigCodeBench's instruct prompt,
  # then our sanitizer: imports and task_func with what it reaches, so it
  # always compiles) or imported.

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

  # The header is code_prompt's text before task_func: imports and
  # constants the task promises.
  stage "let" "header" {
    value = split("def ${task.entry_point}", task.code_prompt)[0]
  }

  # The code the next turn repairs. Corrected: what is executed (header
  # first, unless the code already starts with it). Original: the sanitized
  # solution, while the execution is "calibrated" (code_prompt, a pass
  # body, then the solution).
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

  # The partial-coverage tests: the first three function definitions in
  # the test module's classes, as the original lists them (setUp and
  # helpers included).
  stage "test_methods" "all" {
    sandbox = var.sandbox
    test    = task.test
  }

  stage "let" "visible" {
    value = test_methods.all.names
  }

  stage "let" "model" {
    value = var.initial != null ? null : generate.initial.model
  }

  # Compilation feedback on the code the next turn starts from.
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
    model      = let.model
    tokens_in  = var.initial != null ? null : generate.initial.tokens_in
    tokens_out = var.initial != null ? null : generate.initial.tokens_out
    latency_ms = var.initial != null ? null : generate.initial.latency_ms
    cost_usd   = var.initial != null ? null : generate.initial.cost_usd
  }

  # ------------------------------------------------------------------
  # Turns 1..turns (protocol.md §2.2, the call matrix of §2.2b). Only the
  # previous code is carried; every prompt is single-shot.

  turn {
    stage "let" "header" {
      value = prev.let.header
    }
    stage "let" "visible" {
      value = prev.let.visible
    }
    stage "let" "model" {
      value = prev.let.model
    }

    # The original goes on after a pass (schedule or fidelity original): a
    # solved task emits its code unchanged and is executed again.
    stage "let" "solved" {
      value = prev.score.turn.passed
    }

    # Step 4: up to three compile repairs of the previous code, when its
    # compilation feedback (step 3, computed at the end of the previous
    # turn) is an error; none for a novice, who gets the compiler's
    # message instead. The third repair's output is used unchecked and
    # ends the turn. An answer without code repairs nothing.
    stage "refine" "cf1" {
      when     = !let.solved && !prev.compile.code.ok && combination.verbal != "novice" && var.cf_repairs >= 1
      model    = var.coder
      template = local.prompt.refine_from_compilation_feedback
      vars = {
        input                = task.instruct_prompt
        previous_code        = prev.let.code
        compilation_feedback = prev.compile.code.feedback
      }
    }
    stage "extract" "cf1" {
      when     = refine.cf1 != null
      text     = refine.cf1.text
      field    = local.code_field
      fidelity = local.original
    }
    stage "let" "cf1" {
      value = extract.cf1 == null ? null : (extract.cf1.has_code ? extract.cf1.code : prev.let.code)
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

    # The code after compile repair: the first repair that compiled, else
    # the last one tried (which ends the turn), else the previous code.
    stage "let" "repair" {
      value = {
        code = (
          try(compile.cf1.ok, false) ? let.cf1 :
          try(compile.cf2.ok, false) ? let.cf2 :
          extract.cf3 != null ? (extract.cf3.has_code ? extract.cf3.code : let.cf2) :
          let.cf2 != null ? let.cf2 :
          let.cf1 != null ? let.cf1 :
          prev.let.code
        )
        repaired = refine.cf1 != null
        ends     = refine.cf1 != null && !(try(compile.cf1.ok, false) || try(compile.cf2.ok, false))
      }
    }

    # Step 5, corrected: a repaired program is executed, so that execution
    # feedback describes the code the model is shown, and a repair that
    # passes every test ends the turn (as a pass ends the task). The
    # original reads the previous turn's (then stale) evaluation and goes
    # on.
    stage "execute" "repaired" {
      when    = !local.original && let.repair.repaired && !let.repair.ends
      sandbox = var.sandbox
      code    = startswith(let.repair.code, let.header) ? let.repair.code : "${let.header}${let.repair.code}"
      test    = task.test
    }

    # Step 5: execution feedback: the pass sentinel, every failing test
    # (full), or only the first three listed tests (partial).
    stage "feedback" "execution" {
      when      = !let.solved && !let.repair.ends && !try(execute.repaired.passed, false) && combination.execution != "none"
      execution = execute.repaired != null ? execute.repaired : prev.execute.code
      coverage  = combination.execution
      visible   = let.visible
    }

    # Which calls the combination makes this turn (§2.2b). Corrected: a
    # repaired program that passes every test ends the turn, as a pass
    # ends the task.
    stage "let" "plan" {
      value = {
        done       = let.solved || let.repair.ends || try(execute.repaired.passed, false)
        ef_failing = feedback.execution != null && !try(feedback.execution.passed, true)
        cf_error   = !let.solved && !prev.compile.code.ok
        # Step 7: who speaks. The expert always does; the novice when
        # something failed that they can see (the original's novice with
        # a compile error but a passing partial feedback stays silent).
        simulate = (
          let.solved || let.repair.ends || try(execute.repaired.passed, false) ? null :
          combination.verbal == "expert" ? (
            feedback.execution != null && !try(feedback.execution.passed, true) ? "execution_simulate_user_feedback" : "simulate_user_feedback"
          ) :
          combination.verbal == "novice" ? (
            combination.execution != "none" ? (
              !try(feedback.execution.passed, true) || (!local.original && !prev.compile.code.ok) ? "execution_simulate_novice_feedback" : null
            ) :
            (!prev.compile.code.ok ? "simulate_novice_feedback" : null)
          ) : null
        )
      }
    }

    stage "simulate" "user" {
      when     = let.plan.simulate != null
      model    = var.simulator
      persona  = combination.verbal
      fidelity = local.original
      template = local.prompt[let.plan.simulate]
      vars = {
        input                = task.instruct_prompt
        ground_truth_code    = "${task.code_prompt}${task.canonical_solution}"
        previous_code        = let.repair.code
        compilation_feedback = prev.compile.code.feedback
        execution_feedback   = try(feedback.execution.text, null)
      }
    }

    # Steps 6 and 8: the refine prompt the matrix prescribes.
    stage "let" "refine" {
      value = (
        let.plan.done ? null :
        combination.verbal == "none" ? (let.plan.ef_failing ? "refine_from_execution_feedback" : null) :
        let.plan.ef_failing && simulate.user != null ? "refine_from_execution_user_feedback" :
        simulate.user != null ? "refine_from_user_feedback" :
        # The original's novice with a compile error and a passing partial
        # feedback is still asked to refine, with no user feedback.
        local.original && combination.verbal == "novice" && let.plan.cf_error ? "refine_from_user_feedback" :
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
        user_feedback      = try(simulate.user.feedback, null)
      }
    }

    stage "extract" "code" {
      when     = refine.code != null
      text     = refine.code.text
      field    = local.code_field
      fidelity = local.original
    }

    # Step 9: the turn's code. Corrected: new code gets the header unless
    # it starts with it, and an answer without code keeps the code it
    # answered. Original: the header is prepended to whatever the turn
    # ends with, every turn (solved code accumulates import blocks).
    stage "let" "code" {
      value = (
        local.original ? "${let.header}${extract.code != null ? extract.code.code : let.repair.code}" :
        extract.code != null && try(extract.code.has_code, false) ? (
          startswith(extract.code.code, let.header) ? extract.code.code : "${let.header}${extract.code.code}"
        ) :
        let.repair.repaired ? (
          startswith(let.repair.code, let.header) ? let.repair.code : "${let.header}${let.repair.code}"
        ) :
        prev.let.code
      )
    }

    stage "let" "program" {
      value = let.code
    }

    stage "compile" "code" {
      sandbox = var.sandbox
      code    = let.code
    }

    stage "execute" "code" {
      sandbox = var.sandbox
      code    = let.program
      test    = task.test
      rerun   = local.rerun ? turn.index : null
    }

    stage "score" "turn" {
      execution            = execute.code
      code                 = let.program
      compiled             = compile.code.ok
      feedback_compilation = let.solved ? null : prev.compile.code.feedback
      feedback_execution   = try(feedback.execution.text, null)
      feedback_verbal      = try(simulate.user.feedback, null)
      model                = let.model
      simulator            = try(simulate.user.model, null)
      tokens_in            = sum([for s in [refine.cf1, refine.cf2, refine.cf3, refine.code, simulate.user] : try(s.tokens_in, 0)])
      tokens_out           = sum([for s in [refine.cf1, refine.cf2, refine.cf3, refine.code, simulate.user] : try(s.tokens_out, 0)])
      latency_ms           = sum([for s in [refine.cf1, refine.cf2, refine.cf3, refine.code, simulate.user] : try(s.latency_ms, 0)])
      cost_usd             = sum([for s in [refine.cf1, refine.cf2, refine.cf3, refine.code, simulate.user] : try(s.cost_usd, 0)])
    }
  }
}
