package llm

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/ccw-dev/ccw/stages/llm/llmtest"
	"github.com/zclconf/go-cty/cty"
)

func TestPreflight(t *testing.T) {
	srv := llmtest.New()
	defer srv.Close()
	// A port nothing listens on: bind one, then close it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + l.Addr().String() + "/v1"
	l.Close()

	s := cty.StringVal
	cases := []struct {
		name    string
		attrs   map[string]cty.Value
		offline bool
		want    string // "" means no error
	}{
		{"reachable", map[string]cty.Value{"provider": s("vllm"), "base_url": s(srv.BaseURL())}, false, ""},
		{"refused", map[string]cty.Value{"provider": s("vllm"), "base_url": s(refused)}, false, "cannot reach vllm"},
		{"refused but offline", map[string]cty.Value{"provider": s("vllm"), "base_url": s(refused)}, true, ""},
		{"openai without key", map[string]cty.Value{"provider": s("openai"), "api_key": cty.NullVal(cty.String)}, false, `api_key: required for openai`},
		{"mock", map[string]cty.Value{"provider": s("mock"), "mock_default": s("hi")}, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := open(t, nil, c.attrs)
			err := m.Preflight(context.Background(), c.offline)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("error %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("error %v, want %q", err, c.want)
			}
			if err != nil && strings.Contains(err.Error(), "sk-") {
				t.Fatalf("key in error: %v", err)
			}
		})
	}
	if srv.Requests() != 0 {
		t.Fatalf("preflight sent %d requests", srv.Requests())
	}
}
