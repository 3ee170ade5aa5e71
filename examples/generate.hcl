# BigCodeBench's own single-turn evaluation, which is also ConvCodeWorld's
# turn 0: instruct prompt -> generate -> extract -> execute -> score.
#
# With no endpoint it is a demo that needs no network and no model: ccw's
# three toy tasks (examples/tasks/toy.jsonl), answered by the mock provider
# from the script below (one answer is wrong on purpose).
#
#   ccw run examples/generate.hcl
#   ccw run examples/generate.hcl --offline        # the same, from the cache
#
# Any OpenAI-compatible server (vLLM, Ollama, llama.cpp, TGI), on BigCodeBench:
#
#   ccw run examples/generate.hcl --var tasks=bigcodebench \
#     --var base_url=http://localhost:8000/v1 --var model=deepseek-ai/deepseek-coder-6.7b-instruct
#
# OpenAI (the key comes from the environment and is never stored):
#
#   OPENAI_API_KEY=... ccw run examples/generate.hcl --var tasks=bigcodebench \
#     --var provider=openai --var model=gpt-4o-2024-05-13 --var budget_usd=20
#
# Every answer is cached: a rerun, or `--offline` after a finished run,
# sends no request and writes identical Parquet.

variable "base_url" {
  type        = string
  default     = ""
  description = "The model server's /v1 URL; empty (with provider openai_compatible) runs the mock demo."
}

variable "provider" {
  type        = string
  default     = "openai_compatible"
  description = "openai | azure | vllm | ollama | llamacpp | tgi | openai_compatible"
}

variable "model" {
  type        = string
  default     = ""
  description = "The model name the server knows."
}

variable "tasks" {
  type        = string
  default     = "toy"
  description = "toy (examples/tasks/toy.jsonl), bigcodebench (the v0.1.0_hf split, downloaded), or a task file."
}

variable "limit" {
  type    = number
  default = 0
}

variable "concurrency" {
  type    = number
  default = 16
}

variable "stream" {
  type        = bool
  default     = false
  description = "Receive answers as server-sent events (for proxies that cut idle connections)."
}

variable "budget_usd" {
  type        = number
  default     = null
  description = "Stop starting model calls once this many dollars are spent."
}

locals {
  mock = var.base_url == "" && var.provider == "openai_compatible"
  toy  = var.tasks == "toy"
}

tasks "bench" {
  source = local.toy ? "file" : "bigcodebench"
  path   = local.toy ? "${path.dir}/tasks/toy.jsonl" : (var.tasks == "bigcodebench" ? "" : var.tasks)
  limit  = var.limit
}

model "coder" {
  provider    = local.mock ? "mock" : var.provider
  name        = local.mock ? "ccw-toy-mock" : var.model
  base_url    = var.base_url == "" ? null : var.base_url
  api_key     = local.mock ? null : env("OPENAI_API_KEY")
  temperature = 0
  max_tokens  = 1280
  concurrency = var.concurrency
  stream      = var.stream
  budget_usd  = var.budget_usd

  # The mock's script: the first rule whose pattern finds the prompt answers.
  mock = local.mock ? [
    {
      match = "Count the vowels"
      reply = "Count the vowels of the lower-cased text:\n\n```python\ndef task_func(text):\n    return sum(1 for ch in text.lower() if ch in \"aeiou\")\n```\n"
    },
    {
      # Wrong on purpose: split(" ") keeps empty words for runs of spaces.
      match = "Reverse the order of the words"
      reply = "```python\ndef task_func(sentence):\n    return \" \".join(reversed(sentence.split(\" \")))\n```"
    },
    {
      match = "running totals"
      reply = "```python\nimport itertools\n\ndef task_func(values):\n    return list(itertools.accumulate(values))\n```"
    },
  ] : null
  mock_default = local.mock ? "I do not know how to solve this one." : null
}

sandbox "py" {
  backend = "local"
  python  = "/usr/bin/python3"
  timeout = "121s"
}

experiment "generate" {
  tasks  = tasks.bench
  output = "results/generate"

  stage "generate" "solution" {
    model    = model.coder
    template = prompt_template("instruct")
    vars     = { input = task.instruct_prompt }
  }

  stage "extract" "code" {
    text = generate.solution.text
  }

  # BigCodeBench's "calibrated" evaluation: the prompt's imports and
  # constants come first, the model's own task_func replaces the stub.
  stage "execute" "solution" {
    sandbox = sandbox.py
    code    = "${task.code_prompt}\n    pass\n${extract.code.code}"
    test    = task.test
  }

  stage "score" "solution" {
    execution  = execute.solution
    code       = "${task.code_prompt}\n    pass\n${extract.code.code}"
    model      = generate.solution.model
    tokens_in  = generate.solution.tokens_in
    tokens_out = generate.solution.tokens_out
    latency_ms = generate.solution.latency_ms
    cost_usd   = generate.solution.cost_usd
  }
}
