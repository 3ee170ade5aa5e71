package llm

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/zclconf/go-cty/cty"
)

// requestSchema leads every canonical request; bump it when the encoding
// or the meaning of a field changes, which re-keys every stored call.
const requestSchema = "ccw.llm.request.v1"

// Call is one request a stage makes.
type Call struct {
	Role   string // "coder" or "simulator"
	System string // system message (chat); text before the prompt (completions)
	Prompt string // the user message (chat); the prompt (completions)
	// Sample is the sample index: part of the key, and added to the seed
	// so that samples of a seeded model differ.
	Sample int
}

// message is a chat message of a canonical request.
type message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// identity is what about a model can change its answers. It is the
// model's part of every cache key: the block label, base URL, key,
// concurrency, rate limits, timeouts, prices and budgets stay out (see
// Model.Identity).
type identity struct {
	Provider    string     `json:"provider"`
	Name        string     `json:"name"`
	Revision    string     `json:"revision"`
	API         string     `json:"api"`
	Temperature *float64   `json:"temperature"`
	TopP        *float64   `json:"top_p"`
	MaxTokens   int        `json:"max_tokens"`
	Stop        []string   `json:"stop"`
	Seed        *int64     `json:"seed"`
	N           int        `json:"n"`
	Mock        []MockRule `json:"mock,omitempty"`
	MockDefault *string    `json:"mock_default,omitempty"`
}

func identityOf(c Config) identity {
	id := identity{
		Provider: c.Provider, Name: c.Name, Revision: c.Revision, API: c.API,
		Temperature: c.Temperature, TopP: c.TopP, MaxTokens: c.MaxTokens,
		Stop: c.Stop, Seed: c.Seed, N: c.N, Mock: c.Mock, MockDefault: c.MockDefault,
	}
	if id.Stop == nil {
		id.Stop = []string{}
	}
	return id
}

// value is the identity as a cty object (for Resource.Identity).
func (id identity) value() cty.Value {
	optNum := func(f *float64) cty.Value {
		if f == nil {
			return cty.NullVal(cty.Number)
		}
		return cty.NumberFloatVal(*f)
	}
	stop := cty.ListValEmpty(cty.String)
	if len(id.Stop) > 0 {
		vals := make([]cty.Value, len(id.Stop))
		for i, s := range id.Stop {
			vals[i] = cty.StringVal(s)
		}
		stop = cty.ListVal(vals)
	}
	seed := cty.NullVal(cty.Number)
	if id.Seed != nil {
		seed = cty.NumberIntVal(*id.Seed)
	}
	ruleType := cty.Object(map[string]cty.Type{"match": cty.String, "reply": cty.String})
	mock := cty.ListValEmpty(ruleType)
	if len(id.Mock) > 0 {
		rules := make([]cty.Value, len(id.Mock))
		for i, r := range id.Mock {
			rules[i] = cty.ObjectVal(map[string]cty.Value{"match": cty.StringVal(r.Match), "reply": cty.StringVal(r.Reply)})
		}
		mock = cty.ListVal(rules)
	}
	mockDefault := cty.NullVal(cty.String)
	if id.MockDefault != nil {
		mockDefault = cty.StringVal(*id.MockDefault)
	}
	return cty.ObjectVal(map[string]cty.Value{
		"provider": cty.StringVal(id.Provider), "name": cty.StringVal(id.Name),
		"revision": cty.StringVal(id.Revision), "api": cty.StringVal(id.API),
		"temperature": optNum(id.Temperature), "top_p": optNum(id.TopP),
		"max_tokens": cty.NumberIntVal(int64(id.MaxTokens)), "stop": stop, "seed": seed,
		"n": cty.NumberIntVal(int64(id.N)), "mock": mock, "mock_default": mockDefault,
	})
}

// canonical is the canonical form of one request: everything that can
// change the answer and nothing else (never a key or a URL). Its JSON
// encoding, with fields in declaration order, is hashed into the key.
type canonical struct {
	Schema   string    `json:"schema"`
	Model    identity  `json:"model"`
	Messages []message `json:"messages,omitempty"` // chat
	Prompt   *string   `json:"prompt,omitempty"`   // completions
	Sample   int       `json:"sample"`
	Seed     *int64    `json:"seed"` // the seed sent: model seed + sample
}

// prepared is a request ready to send and to look up.
type prepared struct {
	canon  canonical
	json   []byte
	key    string // "sha256:<hex>" of json
	digest string // "sha256:<hex>" of the messages or prompt alone
	chars  int    // prompt size, for token estimates
}

func (m *Model) prepare(c Call) (*prepared, error) {
	if c.Sample < 0 {
		return nil, fmt.Errorf("model %q: negative sample index %d", m.cfg.Block, c.Sample)
	}
	p := &prepared{canon: canonical{Schema: requestSchema, Model: m.id, Sample: c.Sample}}
	if m.cfg.Seed != nil {
		s := *m.cfg.Seed + int64(c.Sample)
		p.canon.Seed = &s
	}
	var body any
	if m.cfg.API == "completions" {
		prompt := c.Prompt
		if c.System != "" {
			prompt = c.System + "\n\n" + c.Prompt
		}
		p.canon.Prompt = &prompt
		body, p.chars = prompt, len(prompt)
	} else {
		if c.System != "" {
			p.canon.Messages = append(p.canon.Messages, message{Role: "system", Content: c.System})
		}
		p.canon.Messages = append(p.canon.Messages, message{Role: "user", Content: c.Prompt})
		body, p.chars = p.canon.Messages, len(c.System)+len(c.Prompt)
	}
	var err error
	if p.json, err = json.Marshal(p.canon); err != nil {
		return nil, fmt.Errorf("model %q: encoding request: %w", m.cfg.Block, err)
	}
	p.key = digest(p.json)
	b, _ := json.Marshal(body)
	p.digest = digest(b)
	return p, nil
}

func digest(b []byte) string {
	d := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(d[:])
}

// Response is an answer as stored in the sub-store.
type Response struct {
	Texts             []string `json:"texts"`
	FinishReason      string   `json:"finish_reason"`
	TokensIn          int      `json:"tokens_in"`
	TokensOut         int      `json:"tokens_out"`
	SystemFingerprint string   `json:"system_fingerprint,omitempty"`
	Model             string   `json:"model,omitempty"` // as the endpoint reported it
	LatencyMS         int64    `json:"latency_ms"`
	Retries           int      `json:"retries"`
	// ContextLength holds the endpoint's message when it refused the prompt
	// as too long; Texts is then empty. Stored so that reruns and offline
	// replays take the same shortening path without asking again.
	ContextLength string `json:"context_length,omitempty"`
}

// entry is what the sub-store holds under a request key.
type entry struct {
	Schema   string          `json:"schema"`
	Request  json.RawMessage `json:"request"`
	Response Response        `json:"response"`
}

const entrySchema = "ccw.llm.entry.v1"
