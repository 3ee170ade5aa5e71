package llm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/stages/llm/llmtest"
)

// TestFaultsRecover drives the real client through every transient fault:
// the answer equals a clean run's, the retries are counted in the record
// and announced in notes, and the server saw exactly faults+1 requests.
func TestFaultsRecover(t *testing.T) {
	clean := llmtest.New()
	defer clean.Close()
	want := mustDo(t, open(t, clean, nil), env(nil, nil), "write task_func").Texts

	tests := []struct {
		name   string
		faults []llmtest.Fault
		note   string
	}{
		{"429 with Retry-After", []llmtest.Fault{{Status: 429, RetryAfter: "0.02", Message: "slow down"}}, "429 Too Many Requests"},
		{"429 with retry-after-ms", []llmtest.Fault{{Status: 429, RetryAfterMS: "20", Message: "slow down"}}, "429"},
		{"429 without Retry-After", []llmtest.Fault{llmtest.Fault429, llmtest.Fault429}, "Rate limit reached"},
		{"500s", []llmtest.Fault{llmtest.Fault500, {Status: 502, Message: "bad gateway"}, {Status: 503, Bare: true, Message: "overloaded"}}, "500 Internal Server Error"},
		{"hung connection", []llmtest.Fault{llmtest.FaultHang}, "no answer within 300ms"},
		{"cut body", []llmtest.Fault{llmtest.FaultCut}, "unexpected EOF"},
		{"malformed JSON", []llmtest.Fault{llmtest.FaultMalform}, "retry 1/6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.New()
			defer srv.Close()
			srv.Push(tt.faults...)
			var n notes
			m := open(t, srv, map[string]cty.Value{"timeout": cty.StringVal("300ms")})
			r := mustDo(t, m, env(nil, &n), "write task_func")
			if fmt.Sprint(r.Texts) != fmt.Sprint(want) {
				t.Errorf("texts after faults = %q, want the clean run's %q", r.Texts, want)
			}
			if r.Record.Retries != len(tt.faults) {
				t.Errorf("record retries = %d, want %d", r.Record.Retries, len(tt.faults))
			}
			if got := srv.Requests(); got != int64(len(tt.faults)+1) {
				t.Errorf("server saw %d requests, want %d", got, len(tt.faults)+1)
			}
			if !strings.Contains(n.String(), tt.note) || !strings.Contains(n.String(), `model "coder"`) {
				t.Errorf("notes %q lack %q", n.String(), tt.note)
			}
			if s := m.Stats(); s.Retries != len(tt.faults) || s.Sent != 1 {
				t.Errorf("stats = %+v", s)
			}
		})
	}
}

func TestRetriesBounded(t *testing.T) {
	srv := llmtest.New()
	defer srv.Close()
	srv.Script = func(int, llmtest.Request) *llmtest.Fault { return &llmtest.Fault500 }
	m := open(t, srv, map[string]cty.Value{"max_retries": cty.NumberIntVal(3)})
	_, err := do(t, m, env(nil, nil), "x")
	var ce *CallError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want *CallError", err)
	}
	if ce.Attempts != 4 || srv.Requests() != 4 {
		t.Errorf("attempts = %d, server requests = %d; want 4 and 4", ce.Attempts, srv.Requests())
	}
	for _, s := range []string{`model "coder"`, "retries exhausted", "after 4 attempts", "500 Internal Server Error", srv.BaseURL()} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
}

func TestRejectedNotRetried(t *testing.T) {
	srv := llmtest.New()
	defer srv.Close()
	srv.Push(llmtest.FaultNotFound)
	_, err := do(t, open(t, srv, nil), env(nil, nil), "x")
	if err == nil || !strings.Contains(err.Error(), "request rejected") || !strings.Contains(err.Error(), "model does not exist") {
		t.Fatalf("err = %v", err)
	}
	if srv.Requests() != 1 {
		t.Errorf("a 404 was retried: %d requests", srv.Requests())
	}
}

// TestWrongKey: a clear error naming the model block, the key masked, no
// retry.
func TestWrongKey(t *testing.T) {
	srv := llmtest.New()
	defer srv.Close()
	srv.Key = "sk-the-right-key-0000000000000000"
	var n notes
	m := open(t, srv, map[string]cty.Value{"provider": cty.StringVal("openai"), "name": cty.StringVal("gpt-4o")})
	_, err := do(t, m, env(nil, &n), "x")
	var ce *CallError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want *CallError", err)
	}
	msg := err.Error()
	for _, s := range []string{`model "coder"`, "refused API key sk-…b1a0", "401 Unauthorized", "check api_key"} {
		if !strings.Contains(msg, s) {
			t.Errorf("error %q lacks %q", msg, s)
		}
	}
	if strings.Contains(msg+n.String(), testKey) {
		t.Errorf("the key leaked: %q", msg)
	}
	if srv.Requests() != 1 {
		t.Errorf("a 401 was retried: %d requests", srv.Requests())
	}
}

// TestAIMD: a server that takes 4 requests at a time and answers 429
// beyond; the client starts at 32, backs off, and every call succeeds.
func TestAIMD(t *testing.T) {
	srv := llmtest.New()
	defer srv.Close()
	srv.MaxInflight = 4
	srv.Latency = 20 * time.Millisecond
	m := open(t, srv, map[string]cty.Value{"concurrency": cty.NumberIntVal(32), "max_retries": cty.NumberIntVal(30)})
	var wg sync.WaitGroup
	errs := make(chan error, 96)
	for i := range 96 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := do(t, m, env(nil, nil), fmt.Sprintf("prompt %d", i))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("call failed: %v", err)
		}
	}
	s := m.Stats()
	if s.Throttles == 0 || s.Limit >= 32 {
		t.Errorf("no multiplicative decrease: %+v", s)
	}
	// Without the decrease every retry of every call would meet a full
	// server: a 429 storm of many per call.
	if s.Throttles >= 2*96 {
		t.Errorf("429 storm: %d throttles for 96 calls", s.Throttles)
	}
	if s.Sent != 96 {
		t.Errorf("sent = %d, want 96", s.Sent)
	}
	t.Logf("throttles %d, final limit %.1f, server peak %d", s.Throttles, s.Limit, srv.Peak())
}

func TestSingleFlight(t *testing.T) {
	srv := llmtest.New()
	defer srv.Close()
	srv.Latency = 50 * time.Millisecond
	m := open(t, srv, nil)
	var wg sync.WaitGroup
	recs := make(chan Record, 10)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			recs <- mustDo(t, m, env(nil, nil), "same prompt").Record
		}()
	}
	wg.Wait()
	close(recs)
	cached := 0
	for r := range recs {
		if r.Cached {
			cached++
		}
	}
	if srv.Requests() != 1 || cached != 9 {
		t.Errorf("requests = %d, cached records = %d; want 1 and 9", srv.Requests(), cached)
	}
}

func TestTimeoutRespectsRunContext(t *testing.T) {
	srv := llmtest.New()
	defer srv.Close()
	srv.Push(llmtest.FaultHang)
	m := open(t, srv, map[string]cty.Value{"timeout": cty.StringVal("10s")})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := m.Do(ctx, env(nil, nil), Call{Role: RoleCoder, Prompt: "x"})
	// The run's deadline ends the call (not the 10s attempt timeout,
	// which would give a timeout error and a retry).
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the run's deadline", err)
	}
	if n := srv.Requests(); n != 1 {
		t.Errorf("%d requests: the cancelled call was retried", n)
	}
}
