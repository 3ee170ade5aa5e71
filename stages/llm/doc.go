// Package llm owns every call to a language model. It provides the `model`
// resource block (providers openai, azure, vllm, ollama, llamacpp, tgi,
// openai_compatible and mock) and, behind Model.Do, everything a call goes
// through: the canonical request and its sub-store key (so nothing is paid
// for twice and `--offline` replays need no network), single-flight of
// identical requests, the per-run budget in dollars or tokens, replicas (a
// base_url list: calls to the one with the fewest requests outstanding, a
// failing one rested and retried later; replicas.go), per-endpoint
// concurrency with additive-increase/multiplicative-decrease on 429s,
// requests- and tokens-per-minute buckets, request timeouts, bounded
// retries with jittered exponential back-off that honour Retry-After, typed
// errors, prices, and one accounting Record per call.
//
// HTTP goes through github.com/sashabaranov/go-openai, whole answers or
// (stream = true) server-sent events assembled here, where a stream that
// ends before every choice finished is a transient failure, not an answer.
// API keys live only in
// the Model: they never enter a key, a Record, a note or an error message
// (errors and notes are redacted).
//
// It does not own prompts, templates or what a stage does with an answer
// (stages/llmstage), the disk-backed sub-store (the engine), or the layout
// of calls.parquet (schemas).
package llm
