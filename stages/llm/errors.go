package llm

import (
	"fmt"
	"net/url"
	"strings"
)

// CallError is an infrastructure failure of a call: retries exhausted, the
// endpoint unreachable, the key refused, the request rejected. It is not a
// result: nothing is cached, and the next run tries again.
type CallError struct {
	Model    string // model block label
	Reason   string // what went wrong, e.g. "retries exhausted", "API key refused"
	Attempts int
	Status   int    // HTTP status of the last attempt, 0 if none
	Message  string // the last failure, redacted
}

func (e *CallError) Error() string {
	s := fmt.Sprintf("model %q: %s", e.Model, e.Reason)
	if e.Attempts > 1 {
		s += fmt.Sprintf(" after %d attempts", e.Attempts)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// ContextLengthError says the prompt does not fit the model's context. It
// is a model outcome, stored like an answer: the stage may shorten the
// prompt and call again.
type ContextLengthError struct {
	Model   string
	Message string // the endpoint's message, redacted
	// Record accounts for the refused call.
	Record Record
}

func (e *ContextLengthError) Error() string {
	return fmt.Sprintf("model %q: prompt exceeds the context length: %s", e.Model, e.Message)
}

// BudgetError says the run's budget of a model block is spent: the call
// was not started. It is an infrastructure failure (not cached), so a rerun
// with a larger budget continues where this one stopped.
type BudgetError struct {
	Model string
	Unit  string // "USD" or "tokens"
	Limit float64
	Spent float64
	Key   string // the call that was not started
}

func (e *BudgetError) Error() string {
	if e.Unit == "USD" {
		return fmt.Sprintf("model %q: budget of $%.2f reached ($%.4f spent, $%.4f over); call %s not started",
			e.Model, e.Limit, e.Spent, e.Spent-e.Limit, short(e.Key))
	}
	return fmt.Sprintf("model %q: budget of %.0f tokens reached (%.0f spent, %.0f over); call %s not started",
		e.Model, e.Limit, e.Spent, e.Spent-e.Limit, short(e.Key))
}

// OfflineError says an offline run needed a call the sub-store does not
// hold.
type OfflineError struct {
	Model        string
	Addr         string // the stage instance that asked
	Role         string
	Key          string
	PromptDigest string
	Preview      string // the start of the prompt
	NoStore      bool   // the stage had no sub-store at all
}

func (e *OfflineError) Error() string {
	where := "is not in the cache"
	if e.NoStore {
		where = "cannot be served: no cache store"
	}
	return fmt.Sprintf("offline: %s call %s to model %q for %s (prompt %s, %q) %s; run once without --offline to record it",
		e.Role, e.Key, e.Model, e.Addr, short(e.PromptDigest), e.Preview, where)
}

func short(key string) string {
	if h, ok := strings.CutPrefix(key, "sha256:"); ok && len(h) > 12 {
		return "sha256:" + h[:12]
	}
	return key
}

// maskKey shows enough of a key to recognise it and never the whole key.
func maskKey(k string) string {
	if len(k) < 16 {
		return "****"
	}
	return k[:3] + "…" + k[len(k)-4:]
}

// redactor removes credentials from text meant for humans.
type redactor struct {
	key      string
	userinfo []string
}

func newRedactor(c Config) redactor {
	r := redactor{key: c.APIKey}
	for _, b := range append([]string{c.BaseURL}, c.BaseURLs...) {
		if u, err := url.Parse(b); err == nil && u.User != nil {
			r.userinfo = append(r.userinfo, u.User.String())
		}
	}
	return r
}

func (r redactor) clean(s string) string {
	if len(r.key) >= 4 {
		s = strings.ReplaceAll(s, r.key, maskKey(r.key))
	}
	for _, ui := range r.userinfo {
		if ui != "" {
			s = strings.ReplaceAll(s, ui, "REDACTED")
		}
	}
	return s
}
