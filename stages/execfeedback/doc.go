// Package execfeedback owns execution feedback: turning the result of
// running a program's tests (a sandbox.Result) into the text the original
// ConvCodeWorld shows the model (protocol.md §2.2 step 5), and the `feedback`
// stage kind that does it in a pipeline.
//
// The rules are the original's, exactly: the pass sentinel for a passing
// run; otherwise one block per failing test, failures first and then
// errors, each group in unittest's run order, as BigCodeBench's evaluator
// stores them; a module-level failure (ALL) alone; nothing for a run that
// never reported (timeout); partial coverage shows only the first names of
// the test module's function definitions and the sentinel when none of them
// failed; and text of 8000 code points or more is trimmed to its first and
// last lines. Trim is that trimming, also used by the refine stage when a
// prompt is too long.
//
// It does not own running tests (stages/sandbox), choosing the visible
// test names (a pipeline computes them with Python's ast.walk), or putting
// the feedback into a prompt (stages/llmstage).
package execfeedback
