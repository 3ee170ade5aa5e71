variable "timeout" {
  type    = number
  default = "soon" # ERROR: Invalid default value for variable
}

tasks "t" {
  path  = "x.jsonl"
  limit = "ten" # ERROR: Incorrect attribute value type
}

sandbox "py" {
  timout = "10s" # ERROR: Unsupported argument
}

sandbox "py" { # ERROR: Duplicate sandbox block
}

sandbox "bad" { # ERROR: Invalid sandbox block
  backend = "podman"
}

experimnt "e" { # ERROR: Unsupported block type
}

experiment "e" {
  tasks = tasks.missing # ERROR: Reference to undeclared tasks block
}

model "leaky" {
  provider = "openai"
  name     = "gpt-4o"
  api_key  = "sk-live-0123456789" # ERROR: Secret not read from the environment
}
