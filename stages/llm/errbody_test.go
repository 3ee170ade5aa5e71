package llm

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/stages/llm/llmtest"
)

// TestErrorBodies: whatever shape an error answer has, the error and the
// retry notes say the HTTP status and the start of what the server said,
// with the key masked, for plain and streamed requests.
func TestErrorBodies(t *testing.T) {
	long := `{"detail":"` + strings.Repeat("x", 3000) + `"}`
	tests := []struct {
		name   string
		fault  llmtest.Fault
		reason string
		want   []string
		absent []string
	}{
		{"error is a string", llmtest.Fault{Status: 500, Body: `{"error":"SyntaxError","message":"Unexpected token } in JSON at position 12"}`},
			"retries exhausted", []string{"500 Internal Server Error", `{"error":"SyntaxError","message":"Unexpected token } in JSON at position 12"}`}, nil},
		{"html", llmtest.Fault{Status: 502, ContentType: "text/html", Body: "<html>\n<body><h1>502 Bad Gateway</h1>\n</body></html>\n"},
			"retries exhausted", []string{"502 Bad Gateway", "<html> <body><h1>502 Bad Gateway</h1> </body></html>"}, nil},
		{"plain text", llmtest.Fault{Status: 503, ContentType: "text/plain", Body: "upstream connect error or disconnect/reset before headers"},
			"retries exhausted", []string{"503 Service Unavailable", "upstream connect error or disconnect/reset before headers"}, nil},
		{"empty body", llmtest.Fault{Status: 500, Body: " "},
			"retries exhausted", []string{"500 Internal Server Error", "(empty body)"}, nil},
		{"long body is cut", llmtest.Fault{Status: 500, Body: long},
			"retries exhausted", []string{"500 Internal Server Error", `{"detail":"xxxx`, fmt.Sprintf("… (%d bytes)", len(long))}, []string{strings.Repeat("x", 600)}},
		{"key echoed", llmtest.Fault{Status: 500, Body: `{"error":"bad auth header Bearer ` + testKey + `"}`},
			"retries exhausted", []string{"500 Internal Server Error", "bad auth header Bearer sk-…b1a0"}, []string{testKey}},
		{"openai shape keeps its message", llmtest.Fault{Status: 500, Message: "The server had an error."},
			"retries exhausted", []string{"500 Internal Server Error: The server had an error."}, nil},
		{"rejected with an odd body", llmtest.Fault{Status: 400, Body: `{"error":"ValidationError","message":"max_tokens must be positive"}`},
			"request rejected", []string{"400 Bad Request", "max_tokens must be positive"}, nil},
		{"vllm bare object", llmtest.Fault{Status: 500, Bare: true, Message: "engine dead"},
			"retries exhausted", []string{"500 Internal Server Error", "engine dead"}, nil},
	}
	for _, stream := range []bool{false, true} {
		for _, tt := range tests {
			name := tt.name
			if stream {
				name += " (stream)"
			}
			t.Run(name, func(t *testing.T) {
				srv := llmtest.New()
				defer srv.Close()
				srv.Script = func(int, llmtest.Request) *llmtest.Fault { f := tt.fault; return &f }
				var n notes
				m := open(t, srv, map[string]cty.Value{"max_retries": cty.NumberIntVal(1), "stream": cty.BoolVal(stream)})
				_, err := do(t, m, env(nil, &n), "x")
				var ce *CallError
				if !errors.As(err, &ce) {
					t.Fatalf("err = %v, want *CallError", err)
				}
				if ce.Status != tt.fault.Status {
					t.Errorf("status = %d, want %d", ce.Status, tt.fault.Status)
				}
				msg := err.Error()
				if !strings.Contains(msg, tt.reason) {
					t.Errorf("error %q lacks %q", msg, tt.reason)
				}
				for _, s := range tt.want {
					if !strings.Contains(msg, s) {
						t.Errorf("error %q lacks %q", msg, s)
					}
					if tt.reason == "retries exhausted" && !strings.Contains(n.String(), s) {
						t.Errorf("retry note %q lacks %q", n.String(), s)
					}
				}
				for _, s := range tt.absent {
					if strings.Contains(msg+n.String(), s) {
						t.Errorf("error or note holds %q", s)
					}
				}
			})
		}
	}
}
