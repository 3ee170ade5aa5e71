package llm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/stages/llm/llmtest"
)

// TestOfflineReplay: answers recorded online are served offline with zero
// connections; a call that was never recorded fails naming the call.
func TestOfflineReplay(t *testing.T) {
	srv := llmtest.New()
	defer srv.Close()
	store := llmtest.NewMemStore()
	var online []Reply
	m := open(t, srv, nil)
	for i := range 5 {
		online = append(online, mustDo(t, m, env(store, nil), fmt.Sprintf("task %d", i)))
	}
	conns, reqs := srv.Connections(), srv.Requests()

	offline := env(store, nil)
	offline.Offline = true
	m2 := open(t, srv, nil)
	for i := range 5 {
		r := mustDo(t, m2, offline, fmt.Sprintf("task %d", i))
		if fmt.Sprint(r.Texts) != fmt.Sprint(online[i].Texts) || !r.Record.Cached {
			t.Errorf("offline answer %d = %q (cached %v), want %q", i, r.Texts, r.Record.Cached, online[i].Texts)
		}
		want := online[i].Record
		want.Cached = true
		if r.Record != want {
			t.Errorf("offline record %d = %+v, want %+v", i, r.Record, want)
		}
	}
	if srv.Connections() != conns || srv.Requests() != reqs {
		t.Errorf("offline replay touched the network: %d connections, %d requests", srv.Connections()-conns, srv.Requests()-reqs)
	}
	_, err := do(t, m2, offline, "never asked")
	var oe *OfflineError
	if !errors.As(err, &oe) {
		t.Fatalf("err = %v, want *OfflineError", err)
	}
	for _, s := range []string{"offline", "coder", `model "coder"`, "sha256:", `generate.initial["t1"]`, "never asked", "not in the cache"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
	if srv.Connections() != conns {
		t.Errorf("a missing call opened a connection")
	}
}

// TestContextLengthStored: a context-length refusal is an outcome: typed,
// with a record, stored, and replayed without asking again.
func TestContextLengthStored(t *testing.T) {
	srv := llmtest.New()
	defer srv.Close()
	srv.MaxPromptChars = 100
	store := llmtest.NewMemStore()
	m := open(t, srv, nil)
	long := strings.Repeat("feedback line\n", 20)
	for round := range 2 {
		_, err := do(t, m, env(store, nil), long)
		var ce *ContextLengthError
		if !errors.As(err, &ce) {
			t.Fatalf("round %d: err = %v, want *ContextLengthError", round, err)
		}
		if ce.Record.Error != "context_length_exceeded" || ce.Record.Cached != (round == 1) {
			t.Errorf("round %d: record = %+v", round, ce.Record)
		}
		if !strings.Contains(err.Error(), "maximum context length") {
			t.Errorf("error %q lacks the endpoint's message", err)
		}
	}
	if srv.Requests() != 1 {
		t.Errorf("the refused prompt was sent %d times, want 1", srv.Requests())
	}
	if r := mustDo(t, m, env(store, nil), "short"); len(r.Texts) != 1 {
		t.Errorf("short prompt: %+v", r)
	}
}

func TestBudget(t *testing.T) {
	tests := []struct {
		name  string
		attrs map[string]cty.Value
		want  []string
	}{
		{"dollars", map[string]cty.Value{"price_in": cty.NumberIntVal(1000), "price_out": cty.NumberIntVal(1000),
			"budget_usd": cty.NumberFloatVal(0.05)}, []string{"budget of $0.05 reached", "over", "not started"}},
		{"tokens", map[string]cty.Value{"budget_tokens": cty.NumberIntVal(60)}, []string{"budget of 60 tokens reached", "over"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.New()
			defer srv.Close()
			store := llmtest.NewMemStore()
			m := open(t, srv, tt.attrs)
			var err error
			calls := 0
			for ; calls < 100 && err == nil; calls++ {
				_, err = do(t, m, env(store, nil), fmt.Sprintf("prompt number %d", calls))
			}
			var be *BudgetError
			if !errors.As(err, &be) {
				t.Fatalf("err = %v after %d calls, want *BudgetError", err, calls)
			}
			if be.Spent < be.Limit {
				t.Errorf("refused below the budget: %+v", be)
			}
			for _, s := range tt.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
			if int(srv.Requests()) != calls-1 {
				t.Errorf("server saw %d requests for %d answered calls", srv.Requests(), calls-1)
			}
			// Stored answers cost nothing: they are still served.
			if _, err := do(t, m, env(store, nil), "prompt number 0"); err != nil {
				t.Errorf("cached call refused by the budget: %v", err)
			}
		})
	}
}

func TestAccounting(t *testing.T) {
	srv := llmtest.New()
	defer srv.Close()
	m := open(t, srv, map[string]cty.Value{"provider": cty.StringVal("openai"), "name": cty.StringVal("gpt-4o-mini")})
	r := mustDo(t, m, env(nil, nil), strings.Repeat("a", 400))
	rec := r.Record
	if rec.TokensIn != 100 || rec.TokensOut == 0 {
		t.Fatalf("tokens = %d/%d", rec.TokensIn, rec.TokensOut)
	}
	want := (float64(rec.TokensIn)*0.15 + float64(rec.TokensOut)*0.60) / 1e6
	if rec.CostUSD != want {
		t.Errorf("cost = %v, want %v", rec.CostUSD, want)
	}
	if rec.SystemFingerprint != "fp_llmtest" || rec.ResponseModel != "gpt-4o-mini-served" || rec.FinishReason != "stop" {
		t.Errorf("record = %+v", rec)
	}
	if rec.Role != RoleCoder || rec.Provider != "openai" || rec.Mock || rec.Cached {
		t.Errorf("record = %+v", rec)
	}
	if s := m.Stats(); s.SpentUSD != want || s.SpentTokens != int64(rec.TokensIn+rec.TokensOut) {
		t.Errorf("stats = %+v", s)
	}
}

// TestWireRequest checks what reaches the endpoint: every sampling
// parameter, a zero temperature that go-openai would drop, seed + sample.
func TestWireRequest(t *testing.T) {
	srv := llmtest.New()
	defer srv.Close()
	m := open(t, srv, map[string]cty.Value{"max_tokens": cty.NumberIntVal(2048), "top_p": cty.NumberFloatVal(0.95),
		"stop": cty.ListVal([]cty.Value{cty.StringVal("\n\n---\n\n")}), "seed": cty.NumberIntVal(7)})
	if _, err := m.Do(t.Context(), env(nil, nil), Call{Role: RoleCoder, System: "be brief", Prompt: "hi", Sample: 2}); err != nil {
		t.Fatal(err)
	}
	got := srv.Log()[0]
	want := map[string]string{"model": `"deepseek-coder-6.7b"`, "temperature": "0", "top_p": "0.95", "max_tokens": "2048",
		"stop": `["\n\n---\n\n"]`, "seed": "9", "n": "1"}
	for k, v := range want {
		if string(got.Body[k]) != v {
			t.Errorf("body %s = %s, want %s", k, got.Body[k], v)
		}
	}
	if got.Path != "/v1/chat/completions" || len(got.Messages) != 2 || got.Messages[0].Role != "system" {
		t.Errorf("request = %+v", got)
	}
	if got.Header.Get("Authorization") != "Bearer "+testKey {
		t.Errorf("no key sent")
	}
}

func TestCompletionsAPI(t *testing.T) {
	srv := llmtest.New()
	defer srv.Close()
	m := open(t, srv, map[string]cty.Value{"api": cty.StringVal("completions"), "n": cty.NumberIntVal(2)})
	r, err := m.Do(t.Context(), env(nil, nil), Call{Role: RoleCoder, System: "Instructions.", Prompt: "Input: x"})
	if err != nil {
		t.Fatal(err)
	}
	got := srv.Log()[0]
	if got.Path != "/v1/completions" || got.Prompt != "Instructions.\n\nInput: x" {
		t.Errorf("request = %+v", got)
	}
	if len(r.Texts) != 2 || r.Record.SystemFingerprint != "fp_llmtest" {
		t.Errorf("reply = %+v", r)
	}
}

func TestAzure(t *testing.T) {
	srv := llmtest.New()
	defer srv.Close()
	srv.Key = testKey
	m := open(t, srv, map[string]cty.Value{"provider": cty.StringVal("azure"), "name": cty.StringVal("gpt-4o"),
		"base_url": cty.NullVal(cty.String), "endpoint": cty.StringVal(srv.URL), "deployment": cty.StringVal("gpt4o-east"),
		"api_version": cty.StringVal("2024-06-01")})
	mustDo(t, m, env(nil, nil), "hi")
	got := srv.Log()[0]
	if got.Path != "/openai/deployments/gpt4o-east/chat/completions" || got.Query != "api-version=2024-06-01" {
		t.Errorf("path = %s?%s", got.Path, got.Query)
	}
	if got.Header.Get("api-key") != testKey || got.Header.Get("Authorization") != "" {
		t.Errorf("azure auth headers wrong")
	}
}

func TestMock(t *testing.T) {
	m := open(t, nil, map[string]cty.Value{"provider": cty.StringVal("mock"), "name": cty.StringVal("scripted"),
		"mock": cty.TupleVal([]cty.Value{
			cty.ObjectVal(map[string]cty.Value{"match": cty.StringVal(`(?i)vowels`), "reply": cty.StringVal("```python\nA\n```")}),
			cty.ObjectVal(map[string]cty.Value{"match": cty.StringVal(`sort`), "reply": cty.StringVal("B")}),
		})})
	e := env(llmtest.NewMemStore(), nil)
	e.Offline = true // the mock needs no network
	for prompt, want := range map[string]string{"count VOWELS": "```python\nA\n```", "sort a list": "B"} {
		r := mustDo(t, m, e, prompt)
		if r.Texts[0] != want || !r.Record.Mock || r.Record.Provider != "mock" || r.Record.ResponseModel != "mock:scripted" {
			t.Errorf("%q: %+v", prompt, r)
		}
		if r.Record.LatencyMS != 0 {
			t.Errorf("mock latency %d, want 0 (deterministic)", r.Record.LatencyMS)
		}
	}
	_, err := do(t, m, e, "something else")
	var ce *CallError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "no mock rule matches") {
		t.Errorf("err = %v", err)
	}
}

// TestSecretsStayOut: neither the key nor URL credentials reach the
// store, records, identity or notes.
func TestSecretsStayOut(t *testing.T) {
	srv := llmtest.New()
	defer srv.Close()
	srv.Push(llmtest.Fault{Status: 500, Message: "echo " + testKey})
	store := llmtest.NewMemStore()
	var n notes
	url := strings.Replace(srv.BaseURL(), "http://", "http://user:hunter2@", 1)
	m := open(t, srv, map[string]cty.Value{"base_url": cty.StringVal(url)})
	r := mustDo(t, m, env(store, &n), "hello")
	var all bytes.Buffer
	all.Write(store.Bytes())
	all.WriteString(n.String())
	all.WriteString(r.Record.Value().GoString())
	all.WriteString(m.Identity().GoString())
	j, _ := json.Marshal(r.Record)
	all.Write(j)
	for _, secret := range []string{testKey, "hunter2"} {
		if bytes.Contains(all.Bytes(), []byte(secret)) {
			t.Errorf("%q leaked", secret)
		}
	}
	if !strings.Contains(n.String(), "echo sk-…b1a0") {
		t.Errorf("notes not redacted as expected: %s", n.String())
	}
}
