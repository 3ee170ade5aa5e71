# BigCodeBench ground-truth check: run every task's reference solution
# against its own tests. It tells you whether this machine's Python can run
# the benchmark at all, and which tasks it cannot (put those in `exclude` of
# your experiments, or pass them as known failures).
#
#   ccw run examples/calibrate.hcl                          # all 1140 tasks, downloaded
#   ccw run examples/calibrate.hcl --var tasks=BigCodeBench-v0.1.0_hf.jsonl.gz
#   ccw run examples/calibrate.hcl --var subset=hard --var limit=20
#   ccw report results/calibrate

variable "tasks" {
  type        = string
  default     = null
  description = "A local copy of the split (.jsonl, .jsonl.gz or .parquet); null downloads it."
}

variable "split" {
  type    = string
  default = "v0.1.0_hf"
}

variable "subset" {
  type        = string
  default     = "full"
  description = "full (1140 tasks) or hard (148)."
}

variable "limit" {
  type        = number
  default     = 0
  description = "Run only the first N selected tasks; 0 runs all."
}

variable "ids" {
  type        = list(string)
  default     = null
  description = "Run only these task ids (after subset and limit); null runs all selected."
}

variable "timeout" {
  type        = string
  default     = "121s"
  description = "Wall-time limit per task, as ConvCodeWorld (BigCodeBench's own evaluator allows 241s)."
}

tasks "bcb" {
  source = "bigcodebench"
  split  = var.split
  path   = var.tasks
  subset = var.subset
  limit  = var.limit
  ids    = var.ids
}

variable "workers" {
  type        = string
  default     = "warm"
  description = "warm (forked from workers that preloaded the libraries) or fresh (an interpreter per run, as BigCodeBench's evaluator); verdicts are the same."
}

variable "lend" {
  type        = number
  default     = null
  description = "Extra runs while runs wait without using the CPU; null: 3 x slots, 0: none."
}

sandbox "py" {
  backend = "local"
  python  = "/usr/bin/python3"
  timeout = var.timeout
  workers = var.workers
  lend    = var.lend
}

experiment "calibrate" {
  tasks  = tasks.bcb
  output = "results/calibrate"

  # The reference program, exactly as BigCodeBench's evaluator builds it.
  stage "execute" "reference" {
    sandbox = sandbox.py
    code    = "${task.complete_prompt}${task.canonical_solution}"
    test    = task.test
  }

  stage "score" "reference" {
    execution = execute.reference
    code      = "${task.complete_prompt}${task.canonical_solution}"
  }
}
