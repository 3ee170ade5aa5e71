package llm

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// mockProvider answers from the script in the model block: the first rule
// whose pattern finds the prompt gives the reply, else mock_default. It
// opens no connection, so it also works offline. Token counts are
// estimates (4 characters a token) and latency is 0, so its records are
// deterministic.
type mockProvider struct {
	name  string
	rules []*regexp.Regexp
	cfg   Config
}

func newMockProvider(cfg Config) (*mockProvider, error) {
	p := &mockProvider{name: cfg.Name, cfg: cfg}
	for i, r := range cfg.Mock {
		re, err := regexp.Compile(r.Match)
		if err != nil {
			return nil, fmt.Errorf("model %q: mock rule %d: %w", cfg.Block, i, err)
		}
		p.rules = append(p.rules, re)
	}
	return p, nil
}

func (p *mockProvider) send(ctx context.Context, req *prepared) (Response, error) {
	if err := ctx.Err(); err != nil {
		return Response{}, err
	}
	var prompt string
	if req.canon.Prompt != nil {
		prompt = *req.canon.Prompt
	} else {
		parts := make([]string, len(req.canon.Messages))
		for i, m := range req.canon.Messages {
			parts[i] = m.Content
		}
		prompt = strings.Join(parts, "\n\n")
	}
	reply, ok := "", false
	for i, re := range p.rules {
		if re.MatchString(prompt) {
			reply, ok = p.cfg.Mock[i].Reply, true
			break
		}
	}
	if !ok && p.cfg.MockDefault != nil {
		reply, ok = *p.cfg.MockDefault, true
	}
	if !ok {
		return Response{}, errNoMockRule{preview: preview(prompt)}
	}
	r := Response{Model: "mock:" + p.name, FinishReason: "stop", TokensIn: estimateTokens(len(prompt)),
		TokensOut: estimateTokens(len(reply))}
	n := max(1, req.canon.Model.N)
	for range n {
		r.Texts = append(r.Texts, reply)
	}
	return r, nil
}

// errNoMockRule is a configuration fault: retrying cannot help.
type errNoMockRule struct{ preview string }

func (e errNoMockRule) Error() string {
	return fmt.Sprintf("no mock rule matches the prompt %q and there is no mock_default", e.preview)
}

// estimateTokens guesses a token count from a length in characters.
func estimateTokens(chars int) int { return (chars + 3) / 4 }

// preview is the start of a prompt for messages.
func preview(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return s
}
