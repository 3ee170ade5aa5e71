package llm

import (
	"context"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/stages/llm/llmtest"
)

const testKey = "sk-test-9f8e7d6c5b4a39281706f5e4d3c2b1a0"

// open opens a model block named "coder" against srv with extra attributes.
func open(t testing.TB, srv *llmtest.Server, attrs map[string]cty.Value) *Model {
	t.Helper()
	base := map[string]cty.Value{
		"provider":   cty.StringVal("vllm"),
		"name":       cty.StringVal("deepseek-coder-6.7b"),
		"api_key":    cty.StringVal(testKey),
		"retry_base": cty.StringVal("5ms"),
		"retry_max":  cty.StringVal("50ms"),
		"timeout":    cty.StringVal("2s"),
	}
	if srv != nil {
		base["base_url"] = cty.StringVal(srv.BaseURL())
	}
	for k, v := range attrs {
		base[k] = v
	}
	r, err := Block().Open("coder", llmtest.Body(Block().Schema(), base))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r.(*Model)
}

type notes = llmtest.Notes

func env(store *llmtest.MemStore, n *notes) Env {
	e := Env{Addr: "generate.initial[\"t1\"]"}
	if store != nil {
		e.Store = store
	}
	if n != nil {
		e.Notes = n.Add
	}
	return e
}

func do(t testing.TB, m *Model, e Env, prompt string) (Reply, error) {
	t.Helper()
	return m.Do(context.Background(), e, Call{Role: RoleCoder, Prompt: prompt})
}

func mustDo(t testing.TB, m *Model, e Env, prompt string) Reply {
	t.Helper()
	r, err := do(t, m, e, prompt)
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	return r
}
