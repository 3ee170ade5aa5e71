package llmtest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Fault is what the server does instead of answering one request.
type Fault struct {
	// Status answers with this HTTP status and an OpenAI-style error body.
	Status int
	// RetryAfter and RetryAfterMS set the Retry-After and retry-after-ms
	// headers of a Status answer.
	RetryAfter   string
	RetryAfterMS string
	// Code and Message fill the error body.
	Code    string
	Message string
	// Hang holds the request until the client gives up.
	Hang bool
	// Cut sends half of a good answer, then closes the connection; for a
	// streamed request, half of its events (no finish, no [DONE]).
	Cut bool
	// Truncate ends a streamed answer early but cleanly: half of its
	// events, then the response ends without a finish or [DONE].
	Truncate bool
	// Malformed answers 200 with a body that is not JSON.
	Malformed bool
	// Bare writes the error object at the top level, as vLLM does,
	// instead of OpenAI's {"error": {...}}.
	Bare bool
	// Body, when set with Status, is the whole response body, sent as it
	// is: servers and proxies answer errors in shapes of their own
	// ({"error":"SyntaxError","message":...}, HTML, plain text).
	Body string
	// ContentType is the Content-Type of a Body answer (default
	// application/json).
	ContentType string
}

// Common faults.
var (
	Fault429      = Fault{Status: 429, Code: "rate_limit_exceeded", Message: "Rate limit reached for requests"}
	Fault500      = Fault{Status: 500, Message: "The server had an error while processing your request."}
	FaultHang     = Fault{Hang: true}
	FaultCut      = Fault{Cut: true}
	FaultMalform  = Fault{Malformed: true}
	FaultNotFound = Fault{Status: 404, Code: "model_not_found", Message: "The model does not exist."}
)

// Request is what the server received.
type Request struct {
	Path     string
	Query    string
	Header   http.Header
	Body     map[string]json.RawMessage
	Model    string
	Messages []struct{ Role, Content string }
	Prompt   string
}

// Text is the prompt: the completions prompt, or the chat messages joined.
func (r Request) Text() string {
	if r.Prompt != "" {
		return r.Prompt
	}
	parts := make([]string, len(r.Messages))
	for i, m := range r.Messages {
		parts[i] = m.Content
	}
	return strings.Join(parts, "\n\n")
}

// Server is a scripted OpenAI-compatible server on loopback. It answers
// POST …/chat/completions and …/completions (also Azure's
// /openai/deployments/NAME/… paths), counts connections and requests, and
// injects faults from a queue or a script.
type Server struct {
	*httptest.Server

	// Key, when set, is the API key every request must carry (Bearer or
	// api-key header); others get 401.
	Key string
	// Latency delays every answer.
	Latency time.Duration
	// MaxPromptChars, when positive, refuses longer prompts with a 400
	// context-length error as vLLM words it.
	MaxPromptChars int
	// MaxInflight, when positive, answers 429 to requests beyond it.
	MaxInflight int
	// Answer computes the reply text; nil uses DefaultAnswer.
	Answer func(Request) string
	// NoStreamUsage ignores stream_options, as servers that predate it do:
	// streams carry no usage chunk.
	NoStreamUsage bool
	// Script, when set, picks a fault per request (n counts from 0).
	Script func(n int, r Request) *Fault

	mu       sync.Mutex
	queue    []Fault
	log      []Request
	conns    atomic.Int64
	requests atomic.Int64
	inflight atomic.Int64
	peak     atomic.Int64
}

// New starts a server; close it with Close.
func New() *Server {
	s := &Server{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.handle))
	s.Server.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Server.Start()
	return s
}

// BaseURL is the /v1 URL to configure as base_url.
func (s *Server) BaseURL() string { return s.URL + "/v1" }

// Push queues faults for the next requests, one each.
func (s *Server) Push(f ...Fault) {
	s.mu.Lock()
	s.queue = append(s.queue, f...)
	s.mu.Unlock()
}

// Connections is the number of TCP connections accepted so far.
func (s *Server) Connections() int64 { return s.conns.Load() }

// Requests is the number of requests received so far.
func (s *Server) Requests() int64 { return s.requests.Load() }

// Peak is the largest number of requests seen in flight at once.
func (s *Server) Peak() int64 { return s.peak.Load() }

// Log returns the requests received so far, in arrival order.
func (s *Server) Log() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// DefaultAnswer is a deterministic reply: a fenced Python function whose
// body names a digest of the prompt.
func DefaultAnswer(r Request) string {
	d := sha256.Sum256([]byte(r.Text()))
	return fmt.Sprintf("Here is the code.\n\n```python\ndef task_func():\n    return %q\n```\n", hex.EncodeToString(d[:6]))
}

func (s *Server) handle(w http.ResponseWriter, hr *http.Request) {
	n := int(s.requests.Add(1) - 1)
	cur := s.inflight.Add(1)
	defer s.inflight.Add(-1)
	for p := s.peak.Load(); cur > p && !s.peak.CompareAndSwap(p, cur); p = s.peak.Load() {
	}
	r := Request{Path: hr.URL.Path, Query: hr.URL.RawQuery, Header: hr.Header.Clone()}
	var raw struct {
		Model    string                           `json:"model"`
		Messages []struct{ Role, Content string } `json:"messages"`
		Prompt   string                           `json:"prompt"`
	}
	if err := json.NewDecoder(hr.Body).Decode(&r.Body); err != nil {
		writeError(w, Fault{Status: 400, Message: "body is not JSON: " + err.Error()})
		return
	}
	b, _ := json.Marshal(r.Body)
	_ = json.Unmarshal(b, &raw)
	r.Model, r.Messages, r.Prompt = raw.Model, raw.Messages, raw.Prompt
	s.mu.Lock()
	s.log = append(s.log, r)
	var f *Fault
	if len(s.queue) > 0 {
		f = &s.queue[0]
		s.queue = s.queue[1:]
	}
	s.mu.Unlock()
	if f == nil && s.Script != nil {
		f = s.Script(n, r)
	}
	switch {
	case hr.Method != http.MethodPost:
		f = &Fault{Status: 405, Message: "POST only"}
	case s.Key != "" && bearer(hr) != s.Key:
		f = &Fault{Status: 401, Code: "invalid_api_key", Message: "Incorrect API key provided: " + bearer(hr)}
	case f == nil && s.MaxInflight > 0 && cur > int64(s.MaxInflight):
		f = &Fault429
	case f == nil && s.MaxPromptChars > 0 && len(r.Text()) > s.MaxPromptChars:
		f = &Fault{Status: 400, Bare: true, Message: fmt.Sprintf("This model's maximum context length is %d tokens. "+
			"However, you requested %d tokens. Please reduce the length of the messages.", s.MaxPromptChars/4, len(r.Text())/4)}
	}
	if s.Latency > 0 {
		select {
		case <-time.After(s.Latency):
		case <-hr.Context().Done():
			return
		}
	}
	if f != nil {
		s.fault(w, hr, r, *f)
		return
	}
	if r.Stream() {
		s.stream(w, r, false, false)
		return
	}
	_, _ = w.Write(s.answer(r))
}

// Stream says the request asked for server-sent events.
func (r Request) Stream() bool {
	var on bool
	_ = json.Unmarshal(r.Body["stream"], &on)
	return on
}

// events renders the answer to r as the chunks of a stream, as OpenAI and
// vLLM send them: a role chunk, the text in pieces, a finish chunk per
// choice, then (with stream_options.include_usage) a usage chunk with no
// choices, then [DONE].
func (s *Server) events(r Request) []string {
	var full struct {
		Model             string `json:"model"`
		SystemFingerprint string `json:"system_fingerprint"`
		Choices           []struct {
			Index   int    `json:"index"`
			Text    string `json:"text"`
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
		Usage map[string]int `json:"usage"`
	}
	_ = json.Unmarshal(s.answer(r), &full)
	chat := strings.HasSuffix(r.Path, "/chat/completions")
	obj := "text_completion"
	if chat {
		obj = "chat.completion.chunk"
	}
	event := func(choices []map[string]any, usage map[string]int) string {
		m := map[string]any{"id": "cmpl-test", "object": obj, "created": 1700000000, "model": full.Model,
			"system_fingerprint": full.SystemFingerprint, "choices": choices}
		if usage != nil {
			m["usage"] = usage
		}
		b, _ := json.Marshal(m)
		return "data: " + string(b) + "\n\n"
	}
	piece := func(i int, text string, finish any) []map[string]any {
		c := map[string]any{"index": i, "finish_reason": finish}
		if chat {
			c["delta"] = map[string]string{"content": text}
		} else {
			c["text"] = text
		}
		return []map[string]any{c}
	}
	var out []string
	for _, c := range full.Choices {
		text := c.Text
		if chat {
			text = c.Message.Content
			out = append(out, event([]map[string]any{{"index": c.Index, "delta": map[string]string{"role": "assistant"}, "finish_reason": nil}}, nil))
		}
		for len(text) > 0 {
			n := min(len(text), 16)
			out = append(out, event(piece(c.Index, text[:n], nil), nil))
			text = text[n:]
		}
		out = append(out, event(piece(c.Index, "", "stop"), nil))
	}
	var opts struct {
		IncludeUsage bool `json:"include_usage"`
	}
	_ = json.Unmarshal(r.Body["stream_options"], &opts)
	if opts.IncludeUsage && !s.NoStreamUsage {
		out = append(out, event([]map[string]any{}, full.Usage))
	}
	return append(out, "data: [DONE]\n\n")
}

// stream answers r as server-sent events; cut or truncate stop halfway,
// cut by dropping the connection.
func (s *Server) stream(w http.ResponseWriter, r Request, cut, truncate bool) {
	evs := s.events(r)
	if cut || truncate {
		evs = evs[:len(evs)/2]
	}
	w.Header().Set("Content-Type", "text/event-stream")
	fl, _ := w.(http.Flusher)
	for _, e := range evs {
		_, _ = io.WriteString(w, e)
		if fl != nil {
			fl.Flush()
		}
	}
	if cut {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
			}
		}
	}
}

func bearer(hr *http.Request) string {
	if k := hr.Header.Get("api-key"); k != "" {
		return k
	}
	return strings.TrimPrefix(hr.Header.Get("Authorization"), "Bearer ")
}

func (s *Server) answer(r Request) []byte {
	text := DefaultAnswer(r)
	if s.Answer != nil {
		text = s.Answer(r)
	}
	n := 1
	_ = json.Unmarshal(r.Body["n"], &n)
	usage := map[string]int{"prompt_tokens": (len(r.Text()) + 3) / 4, "completion_tokens": (len(text) + 3) / 4}
	usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
	var choices []map[string]any
	for i := range max(n, 1) {
		c := map[string]any{"index": i, "finish_reason": "stop"}
		if strings.HasSuffix(r.Path, "/chat/completions") {
			c["message"] = map[string]string{"role": "assistant", "content": text}
		} else {
			c["text"] = text
		}
		choices = append(choices, c)
	}
	obj := "text_completion"
	if strings.HasSuffix(r.Path, "/chat/completions") {
		obj = "chat.completion"
	}
	b, _ := json.Marshal(map[string]any{"id": "cmpl-test", "object": obj, "created": 1700000000, "model": r.Model + "-served",
		"system_fingerprint": "fp_llmtest", "choices": choices, "usage": usage})
	return b
}

func (s *Server) fault(w http.ResponseWriter, hr *http.Request, r Request, f Fault) {
	switch {
	case f.Hang:
		<-hr.Context().Done()
	case (f.Cut || f.Truncate) && r.Stream():
		s.stream(w, r, f.Cut, f.Truncate)
	case f.Cut:
		body := s.answer(r)
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic("llmtest: cannot hijack")
		}
		conn, buf, err := hj.Hijack()
		if err != nil {
			return
		}
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
		_, _ = buf.Write(body[:len(body)/2])
		_ = buf.Flush()
		_ = conn.Close()
	case f.Malformed:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id": "cmpl-test", "choices": [{"index": 0, "message": <html>oops</html>`))
	default:
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		if f.RetryAfterMS != "" {
			w.Header().Set("retry-after-ms", f.RetryAfterMS)
		}
		writeError(w, f)
	}
}

func writeError(w http.ResponseWriter, f Fault) {
	if f.Body != "" {
		ct := f.ContentType
		if ct == "" {
			ct = "application/json"
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(f.Status)
		_, _ = io.WriteString(w, f.Body)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(f.Status)
	if f.Bare {
		_ = json.NewEncoder(w).Encode(map[string]any{"object": "error", "message": f.Message,
			"type": "BadRequestError", "param": nil, "code": f.Status})
		return
	}
	e := map[string]any{"message": f.Message, "type": "invalid_request_error", "param": nil, "code": nil}
	if f.Code != "" {
		e["code"] = f.Code
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"error": e})
}
