package llm

import (
	"fmt"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/stages/llm/llmtest"
)

// TestStreamEqualsPlain: a streamed answer, assembled from its events,
// equals the same answer sent whole, for both APIs and several choices,
// and the request asked for usage in the stream.
func TestStreamEqualsPlain(t *testing.T) {
	for _, api := range []string{"chat", "completions"} {
		for _, n := range []int64{1, 3} {
			t.Run(fmt.Sprintf("%s n=%d", api, n), func(t *testing.T) {
				srv := llmtest.New()
				defer srv.Close()
				attrs := map[string]cty.Value{"api": cty.StringVal(api), "n": cty.NumberIntVal(n)}
				plain := mustDo(t, open(t, srv, attrs), env(nil, nil), "write task_func")
				attrs["stream"] = cty.True
				m := open(t, srv, attrs)
				streamed := mustDo(t, m, env(nil, nil), "write task_func")
				p, s := plain, streamed
				p.Record.LatencyMS, s.Record.LatencyMS = 0, 0
				if fmt.Sprintf("%+v", p) != fmt.Sprintf("%+v", s) {
					t.Errorf("streamed answer differs:\n got %+v\nwant %+v", s, p)
				}
				if s.Record.TokensIn == 0 || s.Record.SystemFingerprint != "fp_llmtest" || len(s.Texts) != int(n) {
					t.Errorf("answer lacks usage, fingerprint or choices: %+v", s)
				}
				last := srv.Log()[1]
				if !last.Stream() || !strings.Contains(string(last.Body["stream_options"]), `"include_usage":true`) {
					t.Errorf("request body %s", last.Body)
				}
				if !m.Identity().RawEquals(open(t, srv, map[string]cty.Value{"api": cty.StringVal(api), "n": cty.NumberIntVal(n)}).Identity()) {
					t.Errorf("stream changed the model's identity (and so every cache key)")
				}
			})
		}
	}
}

// TestStreamFaults: a stream cut with the connection, or ended cleanly
// before the answer finished, is retried, and the answer equals a clean
// run's.
func TestStreamFaults(t *testing.T) {
	clean := llmtest.New()
	defer clean.Close()
	want := mustDo(t, open(t, clean, map[string]cty.Value{"stream": cty.True}), env(nil, nil), "write task_func").Texts
	for _, tt := range []struct {
		name  string
		fault llmtest.Fault
		note  string
	}{
		{"connection cut", llmtest.FaultCut, "unexpected EOF"},
		{"ended before the finish", llmtest.Fault{Truncate: true}, "stream ended before the answer was complete"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.New()
			defer srv.Close()
			srv.Push(tt.fault)
			var n notes
			r := mustDo(t, open(t, srv, map[string]cty.Value{"stream": cty.True}), env(nil, &n), "write task_func")
			if fmt.Sprint(r.Texts) != fmt.Sprint(want) {
				t.Errorf("texts after the fault = %q, want %q", r.Texts, want)
			}
			if r.Record.Retries != 1 || srv.Requests() != 2 {
				t.Errorf("retries = %d, requests = %d; want 1 and 2", r.Record.Retries, srv.Requests())
			}
			if !strings.Contains(n.String(), tt.note) {
				t.Errorf("notes %q lack %q", n.String(), tt.note)
			}
		})
	}
}

// TestStreamWithoutUsage: a server that ignores stream_options sends no
// usage; tokens are then estimated, so that budgets still count.
func TestStreamWithoutUsage(t *testing.T) {
	srv := llmtest.New()
	defer srv.Close()
	srv.NoStreamUsage = true
	r := mustDo(t, open(t, srv, map[string]cty.Value{"stream": cty.True}), env(nil, nil), "write task_func")
	if r.Record.TokensIn != estimateTokens(len("write task_func")) || r.Record.TokensOut != estimateTokens(len(r.Texts[0])) {
		t.Errorf("tokens = %d in, %d out; want estimates", r.Record.TokensIn, r.Record.TokensOut)
	}
}
