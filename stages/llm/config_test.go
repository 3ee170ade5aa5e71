package llm

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/stages/llm/llmtest"
)

func TestConfigErrors(t *testing.T) {
	s := cty.StringVal
	n := cty.NumberIntVal
	tests := []struct {
		name  string
		attrs map[string]cty.Value
		want  string
	}{
		{"unknown provider", map[string]cty.Value{"provider": s("anthropic")}, `provider: "anthropic" is not one of openai, azure`},
		{"bad api", map[string]cty.Value{"api": s("responses")}, `api: "responses" is not one of chat, completions`},
		{"azure without deployment", map[string]cty.Value{"provider": s("azure"), "endpoint": s("https://x.openai.azure.com")}, "deployment: required for azure"},
		{"compatible without url", map[string]cty.Value{"provider": s("openai_compatible"), "base_url": cty.NullVal(cty.String)}, "base_url: required for openai_compatible"},
		{"bad url", map[string]cty.Value{"base_url": s("localhost:8000")}, `base_url: want an http(s) URL`},
		{"negative temperature", map[string]cty.Value{"temperature": cty.NumberFloatVal(-1)}, "temperature: must be at least 0"},
		{"fractional tokens", map[string]cty.Value{"max_tokens": cty.NumberFloatVal(1.5)}, "max_tokens: must be a whole number"},
		{"zero concurrency", map[string]cty.Value{"concurrency": n(0)}, "concurrency: must be a whole number of at least 1"},
		{"bad timeout", map[string]cty.Value{"timeout": s("soon")}, `timeout: want a positive duration`},
		{"budget without price", map[string]cty.Value{"provider": s("openai_compatible"), "name": s("mystery"), "budget_usd": n(5)}, `budget_usd: no price is known for "mystery"`},
		{"mock without script", map[string]cty.Value{"provider": s("mock")}, "the mock provider needs mock rules or mock_default"},
		{"script on a real provider", map[string]cty.Value{"mock_default": s("x")}, "only the mock provider takes a mock script"},
		{"bad mock pattern", map[string]cty.Value{"provider": s("mock"), "mock": cty.TupleVal([]cty.Value{
			cty.ObjectVal(map[string]cty.Value{"match": s("("), "reply": s("x")})})}, "mock: rule 0: error parsing regexp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attrs := map[string]cty.Value{"provider": s("vllm"), "name": s("m"), "api_key": s(testKey)}
			for k, v := range tt.attrs {
				attrs[k] = v
			}
			_, err := Block().Open("coder", llmtest.Body(Block().Schema(), attrs))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), `model "coder": `) {
				t.Errorf("error %q, want it to name the block and contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("key in error")
			}
		})
	}
}

// TestKeys: the key covers everything that changes an answer and nothing
// that does not; frozenKey pins the encoding so that an accidental change
// (a field order, a dependency bump) fails here, not in a user's cache.
func TestKeys(t *testing.T) {
	const frozenKey = "sha256:fe8dc59152dbec678926a54069ed682065d032349edf50857f194c3888c54a31"
	key := func(attrs map[string]cty.Value, c Call) string {
		m := open(t, nil, attrs)
		p, err := m.prepare(c)
		if err != nil {
			t.Fatal(err)
		}
		return p.key
	}
	base := Call{Role: RoleCoder, Prompt: "Input: sort a list"}
	k0 := key(nil, base)
	if k0 != frozenKey {
		t.Errorf("key of the reference request = %s, want %s (bump requestSchema if the change is meant)", k0, frozenKey)
	}
	same := []map[string]cty.Value{
		{"api_key": cty.StringVal("sk-another-key-000000000000")},
		{"base_url": cty.StringVal("http://10.0.0.7:9000/v1")},
		{"concurrency": cty.NumberIntVal(64), "rpm": cty.NumberIntVal(10), "tpm": cty.NumberIntVal(1000), "timeout": cty.StringVal("1h")},
		{"max_retries": cty.NumberIntVal(1), "price_in": cty.NumberIntVal(3), "budget_tokens": cty.NumberIntVal(5)},
	}
	for _, a := range same {
		if k := key(a, base); k != k0 {
			t.Errorf("key changed with %v", a)
		}
	}
	differ := []struct {
		attrs map[string]cty.Value
		call  Call
	}{
		{map[string]cty.Value{"temperature": cty.NumberFloatVal(0.2)}, base},
		{map[string]cty.Value{"top_p": cty.NumberFloatVal(0.9)}, base},
		{map[string]cty.Value{"max_tokens": cty.NumberIntVal(100)}, base},
		{map[string]cty.Value{"stop": cty.ListVal([]cty.Value{cty.StringVal("x")})}, base},
		{map[string]cty.Value{"seed": cty.NumberIntVal(1)}, base},
		{map[string]cty.Value{"n": cty.NumberIntVal(2)}, base},
		{map[string]cty.Value{"name": cty.StringVal("other")}, base},
		{map[string]cty.Value{"revision": cty.StringVal("q4_k_m")}, base},
		{map[string]cty.Value{"provider": cty.StringVal("ollama")}, base},
		{map[string]cty.Value{"api": cty.StringVal("completions")}, base},
		{nil, Call{Role: RoleCoder, Prompt: "Input: sort a list", Sample: 1}},
		{nil, Call{Role: RoleCoder, Prompt: "Input: sort a list", System: "s"}},
		{nil, Call{Role: RoleCoder, Prompt: "Input: sort a list."}},
	}
	seen := map[string]int{k0: -1}
	for i, d := range differ {
		k := key(d.attrs, d.call)
		if j, dup := seen[k]; dup {
			t.Errorf("case %d has the same key as case %d", i, j)
		}
		seen[k] = i
	}
}

func TestIdentity(t *testing.T) {
	a := open(t, nil, map[string]cty.Value{"base_url": cty.StringVal("http://a:1/v1"), "concurrency": cty.NumberIntVal(3)})
	b := open(t, nil, map[string]cty.Value{"base_url": cty.StringVal("http://b:2/v1"), "api_key": cty.StringVal("sk-other-0000000000000")})
	if !a.Identity().RawEquals(b.Identity()) {
		t.Errorf("identity depends on where or how a model is reached:\n%#v\n%#v", a.Identity(), b.Identity())
	}
	c := open(t, nil, map[string]cty.Value{"temperature": cty.NumberFloatVal(0.8)})
	if a.Identity().RawEquals(c.Identity()) {
		t.Errorf("identity ignores temperature")
	}
	o := open(t, nil, map[string]cty.Value{"provider": cty.StringVal("openai"), "name": cty.StringVal("o3-mini")})
	if !o.Identity().GetAttr("temperature").IsNull() {
		t.Errorf("a reasoning model gets a temperature by default")
	}
}

func TestClassify(t *testing.T) {
	h := func(k, v string) http.Header { return http.Header{http.CanonicalHeaderKey(k): {v}} }
	tests := []struct {
		name       string
		fault      llmtest.Fault
		kind       failKind
		retryAfter time.Duration
	}{
		{"429 seconds", llmtest.Fault{Status: 429, RetryAfter: "2"}, throttled, 2 * time.Second},
		{"429 ms", llmtest.Fault{Status: 429, RetryAfterMS: "1500"}, throttled, 1500 * time.Millisecond},
		{"quota", llmtest.Fault{Status: 429, Code: "insufficient_quota"}, rejected, 0},
		{"401", llmtest.Fault{Status: 401}, unauthorized, 0},
		{"403", llmtest.Fault{Status: 403}, unauthorized, 0},
		{"openai context", llmtest.Fault{Status: 400, Code: "context_length_exceeded", Message: "too long"}, contextLength, 0},
		{"vllm context", llmtest.Fault{Status: 400, Bare: true, Message: "This model's maximum context length is 8000 tokens."}, contextLength, 0},
		{"llama.cpp context", llmtest.Fault{Status: 400, Message: "the request exceeds the available context size, try increasing it"}, contextLength, 0},
		{"tgi context", llmtest.Fault{Status: 422, Message: "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096"}, contextLength, 0},
		{"other 400", llmtest.Fault{Status: 400, Message: "temperature must be a number"}, rejected, 0},
		{"404", llmtest.FaultNotFound, rejected, 0},
		{"408", llmtest.Fault{Status: 408}, retryable, 0},
		{"503", llmtest.Fault{Status: 503, Bare: true}, retryable, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.New()
			defer srv.Close()
			srv.Push(tt.fault)
			m := open(t, srv, map[string]cty.Value{"max_retries": cty.NumberIntVal(0)})
			m.providers()
			_, err := m.pool.reps[0].prov.send(t.Context(), mustPrepare(t, m))
			if err == nil {
				t.Fatal("no error")
			}
			f := classify(err, false, time.Second)
			if f.kind != tt.kind || f.status != tt.fault.Status {
				t.Errorf("classify = kind %d status %d (%s), want kind %d status %d", f.kind, f.status, f.msg, tt.kind, tt.fault.Status)
			}
			if tt.retryAfter > 0 && f.retryAfter != tt.retryAfter {
				t.Errorf("retryAfter = %s, want %s", f.retryAfter, tt.retryAfter)
			}
		})
	}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if d := retryAfter(h("Retry-After", now.Add(3*time.Second).Format(http.TimeFormat)), now); d != 3*time.Second {
		t.Errorf("HTTP-date Retry-After = %s", d)
	}
	if d := retryAfter(h("Retry-After", "soon"), now); d != 0 {
		t.Errorf("garbage Retry-After = %s", d)
	}
}

func mustPrepare(t *testing.T, m *Model) *prepared {
	p, err := m.prepare(Call{Role: RoleCoder, Prompt: "x"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBackoff(t *testing.T) {
	for n := range 10 {
		d := backoff(n, 0, 100*time.Millisecond, 2*time.Second)
		hi := min(100*time.Millisecond<<n, 2*time.Second)
		if d < hi/2 || d > hi {
			t.Errorf("backoff(%d) = %s, want in [%s, %s]", n, d, hi/2, hi)
		}
	}
	if d := backoff(0, 5*time.Second, time.Second, 2*time.Second); d != 2*time.Second {
		t.Errorf("Retry-After not capped: %s", d)
	}
	if d := backoff(3, 300*time.Millisecond, time.Second, 2*time.Second); d != 300*time.Millisecond {
		t.Errorf("Retry-After not honoured: %s", d)
	}
}
