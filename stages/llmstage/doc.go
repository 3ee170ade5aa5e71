// Package llmstage owns the stage kinds that ask a model something:
// generate (initial code), refine (code after feedback) and simulate (the
// simulated user's verbal feedback). The three share one Runner: render
// the prompt template with its variables, call the model through
// stages/llm, and, when the endpoint says the prompt is too long, shorten
// the execution feedback as the original does (protocol.md §2.2 step 8)
// and ask again. simulate also post-processes the answer into feedback,
// with the expert's leak guard: by default fenced code blocks are removed
// and the prose around them kept; with fidelity the original's cuts
// (protocol.md §2.2 step 7) are reproduced.
//
// It also owns our prompt templates, one per prompt kind of protocol.md
// §4.3 with our own wording and our own few-shot example, in two layouts:
// "ccw" (the default) and "dspy" (dspy 2.4.12's mechanics, protocol.md
// §4.1, for fidelity "original", rendered through the template function
// dspy_query); and the HCL functions prompt_template(kind[, style]) and
// trim_feedback(text, front, rear).
//
// It does not own model access, retries, caching of calls or accounting
// (stages/llm), nor getting code out of an answer (stages/extract), nor
// deciding which prompt a turn uses (the pipeline file).
package llmstage
