# The README's example: the built-in protocol with a tenth combination and
# a replaced prompt, no change to ccw.
tasks "t" {
  path = "x.jsonl"
}

model "coder" {
  provider     = "mock"
  name         = "m"
  mock_default = "x"
}

sandbox "py" {
}

experiment "deepseek" {
  protocol     = "convcodeworld"
  tasks        = tasks.t
  coder        = model.coder
  simulator    = model.coder
  sandbox      = sandbox.py
  turns        = 3
  combinations = ["cf_ef_full", "w/ CF SEF", "cf_ef_full_sef_again"]
  prompts      = { refine_from_user_feedback = "Fix it.\n$${input}\n$${previous_code}\n$${user_feedback}\n" }

  combination "cf_ef_full_sef_again" {
    label     = "w/ CF EF (full TC) SEF (again)"
    execution = "full"
    verbal    = "expert"
  }
}
