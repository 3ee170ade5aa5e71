// Command src generates examples/tasks/ccw-mini.jsonl, ccw's own small task
// set in BigCodeBench's format, from the task files beside it: one readable
// Python file per task, NN_name.py, which is the task's reference program
// with two marker lines:
//
//	# notes for maintainers (leading comment lines; not part of the task)
//	import re                      <- complete_prompt: imports, constants,
//	def task_func(text):              the signature on one line and a
//	    """...docstring..."""         BigCodeBench-style docstring
//	# ---- canonical_solution ----
//	    return ...                 <- canonical_solution (the body)
//	# ---- test ----
//	import unittest                <- test: class TestCases(unittest.TestCase)
//
// The file name's number N gives task_id "CCWMini/N". The other fields are
// derived as BigCodeBench derives them: code_prompt is the prompt without
// its docstring and blank lines; doc_struct is the docstring split into
// description, notes, params, returns, reqs, raises and examples;
// instruct_prompt is the description, notes, raises and returns followed by
// "You should write self-contained code starting with:" and code_prompt in
// a fence; libs lists the imported top-level modules as a Python list
// literal.
//
// Run `go generate ./examples/tasks/src` (or `go run ./examples/tasks/src -o
// examples/tasks/ccw-mini.jsonl`) after editing a task; a test checks that
// the committed file is up to date. It owns nothing else: loading and
// checking task files is stages/tasks' job.
package main
