// Package extract owns getting code out of a model's answer: the `extract`
// stage kind and the text functions behind it (Code, Field). By default it
// takes the first complete fenced block, preferring Python; with fidelity
// it reproduces the original ConvCodeWorld parser (protocol.md §2.4),
// including its cut at the first double blank line. An answer without
// code is a result (has_code = false), never an error.
//
// It does not own prompts or model calls (stages/llmstage), nor the
// header prepending and sanitising that BigCodeBench applies to turn-0 code.
package extract
