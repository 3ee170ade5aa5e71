package llm

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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
// deadline passed (the run's context is still alive). An error status
// reads "STATUS TEXT: what the server said": the message of an OpenAI
// error object, else the start of the body whatever its shape (a proxy's
// HTML page, a framework's {"error":"SyntaxError",...}).
func classify(err error, timedOut bool, timeout time.Duration) failure {
	f := failure{kind: retryable, msg: err.Error()}
	var header http.Header
	var body []byte
	var se *sendError
	if errors.As(err, &se) {
		f.status, header, body = se.status, se.header, se.body
	}
	code := ""
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case errors.As(err, &reqErr):
		// go-openai could not read an OpenAI error object from the body.
		f.status = cmp.Or(reqErr.HTTPStatusCode, f.status)
		if len(body) == 0 {
			body = reqErr.Body
		}
		f.msg = bodyExcerpt(body)
	case errors.As(err, &apiErr):
		f.status = cmp.Or(apiErr.HTTPStatusCode, f.status)
		f.msg = apiErr.Message
		if strings.TrimSpace(f.msg) == "" {
			f.msg = bodyExcerpt(body)
		}
		if apiErr.Code != nil {
			code = fmt.Sprint(apiErr.Code)
		}
		if apiErr.Type != "" {
			code += " " + apiErr.Type
		}
	case f.status >= 400 && body != nil:
		f.msg = bodyExcerpt(body)
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

// excerptMax is how much of an error body a message quotes.
const excerptMax = 400

// bodyExcerpt is the start of an error body for a message: whitespace runs
// made single spaces, cut at excerptMax bytes (on a rune boundary) with
// the full size said.
func bodyExcerpt(body []byte) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	switch {
	case s == "":
		return "(empty body)"
	case len(s) <= excerptMax:
		return s
	}
	cut := excerptMax
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes)", s[:cut], len(body))
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
