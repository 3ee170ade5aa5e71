# ConvCodeBench for real: any OpenAI-compatible coder (vLLM, Ollama,
# llama.cpp, TGI, OpenAI, Azure) writes the next code after a reference
# model's frozen ConvCodeWorld logs, in the five combinations with verbal
# feedback the original reports. No simulated user is called: its
# feedback is replayed from the reference, so a run costs about one coder
# call per task and turn, and all turns run at once.
#
#   # the reference: a ccw ConvCodeWorld run ...
#   ccw run examples/convcodeworld.hcl --var coder_model=codellama/CodeLlama-7b-Instruct-hf ... \
#     --var output=results/codellama
#   # ... or the original's logs (results/v0.3.6 and the turn-0 samples):
#   ccw import convcodeworld path/to/convcodeworld --out results/codellama
#
#   # the model under test, all 1140 BigCodeBench tasks:
#   ccw run examples/convcodebench.hcl --var reference=results/codellama \
#     --var coder_url=http://localhost:8000/v1 --var coder_model=SenseLLM/ReflectionCoder-DS-33B
#
#   ccw report results/convcodebench                        # the two static tables
#   ccw report results/live-a results/static-a results/live-b results/static-b ...
#                                                           # a row per model, and rank correlations
#
# The reference must hold every combination, task and turn the run asks
# for (a task it solved needs no later turn): otherwise the run fails
# there, naming the reference's turns.parquet, the combination, the task
# and the turn it lacks. The coder's key comes from the environment only
# (CODER_API_KEY, else OPENAI_API_KEY).

variable "reference" {
  type        = string
  description = "The reference's results directory: a ccw ConvCodeWorld run, or the output of ccw import convcodeworld."
}

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
  description = "Names or labels of the combinations to run; null runs the five the original reports for ConvCodeBench."
}

variable "fidelity" {
  type        = string
  default     = "corrected"
  description = "corrected, or original to reproduce the original's defects (README, fidelity table)."
}

variable "initial" {
  type        = string
  default     = null
  description = "The coder's pre-generated turn-0 solutions (jsonl of task_id and solution); null generates them."
}

variable "timeout" {
  type        = string
  default     = "121s"
  description = "Wall-time limit of one execution (ConvCodeWorld's 121 s)."
}

variable "exclude" {
  type        = list(string)
  default     = []
  description = "Task ids left out of scoring."
}

variable "output" {
  type    = string
  default = "results/convcodebench"
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

sandbox "py" {
  python  = "/usr/bin/python3"
  timeout = var.timeout
}

experiment "convcodebench" {
  protocol     = "convcodebench"
  tasks        = tasks.bench
  coder        = model.coder
  sandbox      = sandbox.py
  reference    = var.reference
  turns        = var.turns
  combinations = var.combinations
  fidelity     = var.fidelity
  initial      = var.initial
  exclude      = var.exclude
  output       = var.output
}
