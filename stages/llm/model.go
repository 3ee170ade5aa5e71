package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/zclconf/go-cty/cty"
	"golang.org/x/sync/singleflight"

	"github.com/ccw-dev/ccw/stages"
)

// Model is an opened model block: the resource stages call through Do. One
// Model lives for one run and is shared by every stage that references the
// block, so its limiter, ledger and single-flight group are per run.
type Model struct {
	cfg   Config
	id    identity
	price Price
	red   redactor
	pool  *pool

	flight singleflight.Group
	once   sync.Once

	mu    sync.Mutex
	stats Stats
}

var _ stages.Resource = (*Model)(nil)

// Stats is the accounting of one Model in this run.
type Stats struct {
	Calls       int     // answers handed to stages
	Cached      int     // of which served from the sub-store or a shared flight
	Sent        int     // requests that reached the provider and were answered
	Retries     int     // failed attempts that were retried
	Throttles   int     // 429 answers
	Limit       float64 // current concurrency limit (AIMD), summed over the replicas
	Replicas    []ReplicaStats
	SpentUSD    float64 // cost of the answers paid for in this run
	SpentTokens int64   // tokens (in + out) paid for in this run
}

func newModel(c Config) (*Model, error) {
	m := &Model{cfg: c, id: identityOf(c), red: newRedactor(c)}
	urls := c.BaseURLs
	if len(urls) == 0 {
		urls = []string{c.BaseURL} // the mock
	}
	var reps []*replica
	for _, u := range urls {
		reps = append(reps, &replica{url: redactURL(u), base: u, lim: newLimiter(c.Concurrency, c.RPM, c.TPM),
			stats: ReplicaStats{URL: redactURL(u)}})
	}
	m.pool = newPool(reps)
	m.price, _ = lookupPrice(c.Provider, c.Name)
	if c.PriceIn != nil {
		m.price.In = *c.PriceIn
	}
	if c.PriceOut != nil {
		m.price.Out = *c.PriceOut
	}
	if c.Provider == ProviderMock {
		// Compile the script now: a bad pattern is a configuration error.
		p, err := newMockProvider(c)
		if err != nil {
			return nil, err
		}
		reps[0].prov = p
	}
	return m, nil
}

// Identity implements stages.Resource: provider, model name, revision, API
// kind, every sampling parameter and, for the mock, its script. The base
// URL is deliberately left out: it says where a model is served, not what
// answers, and it changes between reruns of one experiment (replicas,
// ports, cluster nodes, tunnels) where a key that included it would pay for
// every answer again. A server that ignores the name (llama.cpp) or a tag
// that moves (ollama) is told apart by `revision`; every record also keeps
// the served model name and system_fingerprint.
func (m *Model) Identity() cty.Value { return m.id.value() }

// Close implements stages.Resource.
func (m *Model) Close() error {
	for _, r := range m.pool.reps {
		if p, ok := r.prov.(*openaiProvider); ok {
			p.close()
		}
	}
	return nil
}

// Name returns the block label.
func (m *Model) Name() string { return m.cfg.Block }

// Price is what the model charges per million tokens (the price table or
// the block's price_in/price_out); known is false for a hosted model
// missing from the table without a price set.
func (m *Model) Price() (p Price, known bool) {
	_, known = lookupPrice(m.cfg.Provider, m.cfg.Name)
	return m.price, known || (m.cfg.PriceIn != nil && m.cfg.PriceOut != nil)
}

// Provider is the model's provider (openai, vllm, mock, ...).
func (m *Model) Provider() string { return m.cfg.Provider }

// ModelName returns the model name the block sends (its name attribute).
func (m *Model) ModelName() string { return m.cfg.Name }

// Stats returns the accounting so far.
func (m *Model) Stats() Stats {
	m.mu.Lock()
	s := m.stats
	m.mu.Unlock()
	s.Replicas, s.Limit, s.Throttles = m.pool.stats()
	return s
}

// providers sets up each replica's client on first use.
func (m *Model) providers() {
	m.once.Do(func() {
		for _, r := range m.pool.reps {
			if r.prov == nil {
				cfg := m.cfg
				cfg.BaseURL = r.base
				r.prov = newOpenAIProvider(cfg)
			}
		}
	})
}

// Env is what a stage passes with its calls: where answers are stored,
// whether the network is allowed, where progress notes go, and the stage
// instance for messages.
type Env struct {
	Store   stages.SubStore
	Offline bool
	Notes   func(string)
	Addr    string
}

// EnvOf takes the Env from a stage's input.
func EnvOf(in stages.Input) Env {
	return Env{Store: in.Store, Offline: in.Offline, Notes: in.Notes, Addr: in.Addr}
}

func (e Env) note(s string) {
	if e.Notes != nil {
		e.Notes(s)
	}
}

// Reply is the answer to one Call.
type Reply struct {
	Texts  []string // one per choice (n)
	Record Record
}

type resolved struct {
	resp   Response
	cached bool
}

// Do answers c: from the sub-store when it holds the canonical request,
// else over the network (or the mock), storing the answer before returning
// it. Identical concurrent calls are sent once. A *ContextLengthError is an
// outcome (with its Record); *BudgetError, *OfflineError and *CallError are
// infrastructure failures.
func (m *Model) Do(ctx context.Context, env Env, c Call) (Reply, error) {
	p, err := m.prepare(c)
	if err != nil {
		return Reply{}, err
	}
	leader := false
	v, err, _ := m.flight.Do(p.key, func() (any, error) {
		leader = true
		return m.resolve(ctx, env, c.Role, p)
	})
	if err != nil {
		return Reply{}, err
	}
	res := v.(resolved)
	rec := m.record(c, p, res.resp, res.cached || !leader)
	m.mu.Lock()
	m.stats.Calls++
	if rec.Cached {
		m.stats.Cached++
	}
	m.mu.Unlock()
	if res.resp.ContextLength != "" {
		return Reply{Record: rec}, &ContextLengthError{Model: m.cfg.Block, Message: m.red.clean(res.resp.ContextLength), Record: rec}
	}
	return Reply{Texts: res.resp.Texts, Record: rec}, nil
}

func (m *Model) resolve(ctx context.Context, env Env, role string, p *prepared) (resolved, error) {
	if env.Store != nil {
		data, ok, err := env.Store.Get(ctx, p.key)
		if err != nil {
			return resolved{}, fmt.Errorf("model %q: reading call %s from the cache: %w", m.cfg.Block, short(p.key), err)
		}
		if ok {
			var e entry
			if err := json.Unmarshal(data, &e); err == nil && e.Schema == entrySchema {
				return resolved{resp: e.Response, cached: true}, nil
			}
			env.note(fmt.Sprintf("model %q: stored call %s is unreadable; asking again", m.cfg.Block, short(p.key)))
		}
	}
	if env.Offline && m.cfg.Provider != ProviderMock {
		return resolved{}, &OfflineError{Model: m.cfg.Block, Addr: env.Addr, Role: role, Key: p.key,
			PromptDigest: p.digest, Preview: m.red.clean(preview(promptText(p))), NoStore: env.Store == nil}
	}
	if err := m.checkBudget(p.key); err != nil {
		return resolved{}, err
	}
	resp, err := m.send(ctx, env, p)
	if err != nil {
		return resolved{}, err
	}
	m.charge(resp)
	if env.Store != nil {
		data, err := json.Marshal(entry{Schema: entrySchema, Request: p.json, Response: resp})
		if err == nil {
			err = env.Store.Put(ctx, p.key, data)
		}
		if err != nil {
			return resolved{}, fmt.Errorf("model %q: storing call %s: %w", m.cfg.Block, short(p.key), err)
		}
	}
	return resolved{resp: resp}, nil
}

func promptText(p *prepared) string {
	if p.canon.Prompt != nil {
		return *p.canon.Prompt
	}
	return p.canon.Messages[len(p.canon.Messages)-1].Content
}

// checkBudget refuses to start a call once the run's budget is spent.
func (m *Model) checkBudget(key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if b := m.cfg.BudgetUSD; b != nil && m.stats.SpentUSD >= *b {
		return &BudgetError{Model: m.cfg.Block, Unit: "USD", Limit: *b, Spent: m.stats.SpentUSD, Key: key}
	}
	if b := m.cfg.BudgetTokens; b != nil && m.stats.SpentTokens >= *b {
		return &BudgetError{Model: m.cfg.Block, Unit: "tokens", Limit: float64(*b), Spent: float64(m.stats.SpentTokens), Key: key}
	}
	return nil
}

func (m *Model) charge(r Response) {
	m.mu.Lock()
	m.stats.Sent++
	m.stats.SpentUSD += m.price.Cost(r.TokensIn, r.TokensOut)
	m.stats.SpentTokens += int64(r.TokensIn + r.TokensOut)
	m.mu.Unlock()
}
