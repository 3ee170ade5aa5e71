// Package llmtest holds test helpers for code that calls models: a scripted
// OpenAI-compatible server on loopback (httptest) that injects 429s, 5xx,
// hangs, cut bodies, malformed JSON, context-length and key errors and
// counts its connections; and an in-memory stages.SubStore.
//
// It is for tests only; nothing in ccw's binary imports it.
package llmtest
