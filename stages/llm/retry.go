package llm

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// failKind says what to do about a failed attempt.
type failKind int

const (
	retryable     failKind = iota // 5xx, 408, network errors, cut or malformed bodies, timeouts
	throttled                     // 429: back off, halve concurrency, honour Retry-After
	contextLength                 // the prompt is too long: a model outcome
	unauthorized                  // 401/403: the key is wrong
	rejected                      // other 4xx, quota exhausted, bad configuration: retrying cannot help
)

// failure is a classified failed attempt.
type failure struct {
	kind       failKind
	status     int
	msg        string // unredacted; redact before showing
	retryAfter time.Duration
}

// contextLengthRE recognises the messages OpenAI, Azure, vLLM, llama.cpp,
// TGI and similar servers give for prompts that do not fit.
var contextLengthRE = regexp.MustCompile(`(?i)context[_ ]length|maximum context|context window|context size|` +
	`too many tokens|reduce the length|prompt is too long|input is too long|exceeds? the (available )?context|` +
	"tokens \\+ `?max_new_tokens`? must be <=")

// classify sorts a failed attempt. timedOut means the attempt's own
// deadline passed (the run's context is still alive).
func classify(err error, timedOut bool, timeout time.Duration) failure {
	f := failure{kind: retryable, msg: err.Error()}
	var header http.Header
	var se *sendError
	if errors.As(err, &se) {
		f.status, header = se.status, se.header
	}
	code := ""
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case errors.As(err, &apiErr):
		f.status, f.msg = apiErr.HTTPStatusCode, apiErr.Message
		if apiErr.Code != nil {
			code = fmt.Sprint(apiErr.Code)
		}
		if apiErr.Type != "" {
			code += " " + apiErr.Type
		}
	case errors.As(err, &reqErr):
		f.status, f.msg = reqErr.HTTPStatusCode, strings.TrimSpace(string(reqErr.Body))
		if len(f.msg) > 400 {
			f.msg = f.msg[:400] + "…"
		}
	}
	if f.status >= 400 {
		f.msg = fmt.Sprintf("%d %s: %s", f.status, http.StatusText(f.status), f.msg)
	}
	switch s := f.status; {
	case timedOut:
		f.kind, f.msg = retryable, fmt.Sprintf("no answer within %s", timeout)
	case s == http.StatusTooManyRequests && strings.Contains(code, "insufficient_quota"):
		f.kind = rejected
	case s == http.StatusTooManyRequests:
		f.kind, f.retryAfter = throttled, retryAfter(header, time.Now())
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		f.kind = unauthorized
	case (s == 400 || s == 413 || s == 422) && (strings.Contains(code, "context_length") || contextLengthRE.MatchString(f.msg)):
		f.kind = contextLength
	case s == http.StatusRequestTimeout || s == http.StatusConflict || s >= 500:
		f.kind = retryable
	case s >= 400:
		f.kind = rejected
	case errors.Is(err, openai.ErrCompletionUnsupportedModel) || errors.Is(err, openai.ErrChatCompletionInvalidModel),
		errors.As(err, new(errNoMockRule)):
		f.kind = rejected
	}
	return f
}

// retryAfter reads retry-after-ms (Azure, OpenAI) or Retry-After (seconds
// or an HTTP date).
func retryAfter(h http.Header, now time.Time) time.Duration {
	if h == nil {
		return 0
	}
	if v := h.Get("retry-after-ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// backoff is the wait before retry number n (0-based): Retry-After when the
// endpoint gave one, else base·2ⁿ with equal jitter; both capped at max.
func backoff(n int, retryAfter, base, maxWait time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, maxWait)
	}
	d := base
	for i := 0; i < n && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	return d/2 + rand.N(d/2+1)
}
