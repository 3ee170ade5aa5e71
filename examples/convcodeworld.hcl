# ConvCodeWorld for real: any OpenAI-compatible coder (vLLM, Ollama,
# llama.cpp, TGI, OpenAI, Azure) repairs its code over 10 turns of
# feedback under the nine combinations, with any OpenAI-compatible model
# as the simulated user.
#
#   # a vLLM coder, GPT-4o as the user, all 1140 BigCodeBench tasks:
#   OPENAI_API_KEY=... ccw run examples/convcodeworld.hcl \
#     --var coder_url=http://localhost:8000/v1 --var coder_model=deepseek-ai/deepseek-coder-6.7b-instruct \
#     --var user_model=gpt-4o-2024-05-13
#
#   # the 148 Hard tasks, three combinations, 5 turns:
#   ccw run examples/convcodeworld.hcl --var subset=hard --var turns=5 \
#     --var 'combinations=["w/ CF EF (full TC)", "cf_sef", "cf_ef_full_sef"]' ...
#
#   ccw plan examples/convcodeworld.hcl ...   # what is cached, what would run
#   ccw report results/convcodeworld          # the two tables
#
# Keys come from the environment only: CODER_API_KEY for the coder (else
# OPENAI_API_KEY), USER_API_KEY for the user (else OPENAI_API_KEY). They
# never reach the cache, the Parquet files or the logs. A rerun sends no
# request it already sent; a killed run resumes where it stopped.

variable "coder_url" {
  type        = string
  default     = null
  description = "The coder's OpenAI-compatible /v1 URL; null means OpenAI's."
}

variable "coder_model" {
  type        = string
  description = "The coder's model name, as its server knows it."
}

variable "coder_api" {
  type        = string
  default     = "chat"
  description = "chat, or completions (the raw prompt, as the original sends it to vLLM)."
}

variable "user_url" {
  type        = string
  default     = null
  description = "The simulated user's /v1 URL; null means OpenAI's."
}

variable "user_model" {
  type        = string
  default     = "gpt-4o-2024-05-13"
  description = "The simulated user's model name (the original uses GPT-4o)."
}

variable "tasks" {
  type        = string
  default     = "bigcodebench"
  description = "bigcodebench (v0.1.0_hf, downloaded once and checked against a pinned digest) or a task file (.jsonl, .jsonl.gz, .parquet) in BigCodeBench's format."
}

variable "subset" {
  type        = string
  default     = "full"
  description = "full (1140 tasks) or hard (148)."
}

variable "limit" {
  type        = number
  default     = 0
  description = "Only the first N selected tasks; 0 runs all."
}

variable "turns" {
  type    = number
  default = 10
}

variable "combinations" {
  type        = list(string)
  default     = null
  description = "Names or labels of the combinations to run; null runs all nine."
}

variable "fidelity" {
  type        = string
  default     = "corrected"
  description = "corrected, or original to reproduce the original's defects (README, fidelity table)."
}

variable "schedule" {
  type        = string
  default     = "ccw"
  description = "ccw (a task stops when it passes) or original (solved code is executed again every turn), for comparisons."
}

variable "initial" {
  type        = string
  default     = null
  description = "Pre-generated turn-0 solutions (jsonl of task_id and solution, as the original ships them); null generates them."
}

variable "timeout" {
  type        = string
  default     = "121s"
  description = "Wall-time limit of one execution (ConvCodeWorld's 121 s)."
}

variable "exclude" {
  type        = list(string)
  default     = []
  description = "Task ids left out of scoring (for example the output of ccw report --format ids on a calibration run)."
}

variable "budget_usd" {
  type        = number
  default     = null
  description = "Stop starting calls to the simulated user once this many dollars are spent."
}

variable "output" {
  type    = string
  default = "results/convcodeworld"
}

tasks "bench" {
  source = var.tasks == "bigcodebench" ? "bigcodebench" : "file"
  path   = var.tasks == "bigcodebench" ? null : var.tasks
  subset = var.subset
  limit  = var.limit
}

model "coder" {
  provider    = var.coder_url == null ? "openai" : "openai_compatible"
  name        = var.coder_model
  base_url    = var.coder_url
  api         = var.coder_api
  api_key     = env("CODER_API_KEY", env("OPENAI_API_KEY", ""))
  temperature = 0
  max_tokens  = 2048
  stop        = ["\n\n---\n\n"]
  concurrency = 32
}

model "user" {
  provider    = var.user_url == null ? "openai" : "openai_compatible"
  name        = var.user_model
  base_url    = var.user_url
  api_key     = env("USER_API_KEY", env("OPENAI_API_KEY", ""))
  temperature = 0
  max_tokens  = 2048
  stop        = ["\n\n---\n\n"]
  concurrency = 16
  budget_usd  = var.budget_usd
}

sandbox "py" {
  python  = "/usr/bin/python3"
  timeout = var.timeout
}

experiment "convcodeworld" {
  protocol     = "convcodeworld"
  tasks        = tasks.bench
  coder        = model.coder
  simulator    = model.user
  sandbox      = sandbox.py
  turns        = var.turns
  combinations = var.combinations
  fidelity     = var.fidelity
  schedule     = var.schedule
  initial      = var.initial
  exclude      = var.exclude
  output       = var.output
}
