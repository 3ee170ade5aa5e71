package llm

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Provider names accepted by the provider attribute.
const (
	ProviderOpenAI           = "openai"
	ProviderAzure            = "azure"
	ProviderVLLM             = "vllm"
	ProviderOllama           = "ollama"
	ProviderLlamaCpp         = "llamacpp"
	ProviderTGI              = "tgi"
	ProviderOpenAICompatible = "openai_compatible"
	ProviderMock             = "mock"
)

// defaultBaseURL is the base URL used when a block gives none.
var defaultBaseURL = map[string]string{
	ProviderOpenAI:   "https://api.openai.com/v1",
	ProviderVLLM:     "http://localhost:8000/v1",
	ProviderOllama:   "http://localhost:11434/v1",
	ProviderLlamaCpp: "http://localhost:8080/v1",
	ProviderTGI:      "http://localhost:8080/v1",
}

// Config is a decoded model block.
type Config struct {
	Block    string // the block label, for messages
	Provider string
	Name     string
	Revision string
	BaseURL  string   // the first of BaseURLs
	BaseURLs []string // replicas of the model, tried by fewest requests outstanding
	APIKey   string

	Endpoint, Deployment, APIVersion string // azure

	API         string   // chat | completions
	Temperature *float64 // nil: not sent
	TopP        *float64
	MaxTokens   int
	Stop        []string
	Seed        *int64
	N           int
	Stream      bool // transport only: not part of the identity

	Concurrency int
	RPM, TPM    int
	Timeout     time.Duration
	MaxRetries  int
	RetryBase   time.Duration
	RetryMax    time.Duration

	PriceIn, PriceOut *float64
	BudgetUSD         *float64
	BudgetTokens      *int64

	Mock        []MockRule
	MockDefault *string
}

// MockRule is one rule of a mock script.
type MockRule struct {
	Match string `json:"match"`
	Reply string `json:"reply"`
}

// reasoningModel reports whether OpenAI's reasoning-model restrictions
// apply: no temperature, max_completion_tokens instead of max_tokens.
func reasoningModel(name string) bool {
	for _, p := range []string{"o1", "o3", "o4", "gpt-5"} {
		if strings.HasPrefix(name, p) && !strings.HasPrefix(name, "gpt-5-chat") {
			return true
		}
	}
	return false
}

// attrs reads the attributes of an evaluated body, collecting errors that
// name the block and the attribute.
type attrs struct {
	block string
	v     cty.Value
	errs  []string
}

func (a *attrs) fail(name, format string, args ...any) {
	a.errs = append(a.errs, fmt.Sprintf("%s: %s", name, fmt.Sprintf(format, args...)))
}

func (a *attrs) get(name string, ty cty.Type) (cty.Value, bool) {
	if a.v.IsNull() || !a.v.Type().IsObjectType() || !a.v.Type().HasAttribute(name) {
		return cty.NilVal, false
	}
	v := a.v.GetAttr(name)
	if v.IsNull() {
		return cty.NilVal, false
	}
	if !v.IsWhollyKnown() {
		a.fail(name, "value is not known before the run")
		return cty.NilVal, false
	}
	cv, err := convert.Convert(v, ty)
	if err != nil {
		a.fail(name, "%v", err)
		return cty.NilVal, false
	}
	return cv, true
}

func (a *attrs) str(name string) string {
	if v, ok := a.get(name, cty.String); ok {
		return v.AsString()
	}
	return ""
}

// urls reads a string or a list of strings.
func (a *attrs) urls(name string) []string {
	if a.v.IsNull() || !a.v.Type().IsObjectType() || !a.v.Type().HasAttribute(name) {
		return nil
	}
	v := a.v.GetAttr(name)
	if v.IsNull() {
		return nil
	}
	if !v.IsWhollyKnown() {
		a.fail(name, "value is not known before the run")
		return nil
	}
	if v.Type() == cty.String {
		return []string{v.AsString()}
	}
	l, err := convert.Convert(v, cty.List(cty.String))
	if err != nil || l.LengthInt() == 0 {
		a.fail(name, "want a URL or a non-empty list of URLs")
		return nil
	}
	var out []string
	for it := l.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() {
			a.fail(name, "null element")
			continue
		}
		out = append(out, e.AsString())
	}
	return out
}

func (a *attrs) optStr(name string) *string {
	if v, ok := a.get(name, cty.String); ok {
		s := v.AsString()
		return &s
	}
	return nil
}

func (a *attrs) float(name string, min float64) *float64 {
	v, ok := a.get(name, cty.Number)
	if !ok {
		return nil
	}
	f, _ := v.AsBigFloat().Float64()
	if f < min || math.IsInf(f, 0) {
		a.fail(name, "must be at least %v, got %v", min, f)
		return nil
	}
	return &f
}

func (a *attrs) int(name string, min int64) *int64 {
	v, ok := a.get(name, cty.Number)
	if !ok {
		return nil
	}
	bf := v.AsBigFloat()
	n, acc := bf.Int64()
	if !bf.IsInt() || acc != 0 || n < min {
		a.fail(name, "must be a whole number of at least %d, got %s", min, bf.String())
		return nil
	}
	return &n
}

func (a *attrs) intOr(name string, min, def int64) int {
	if p := a.int(name, min); p != nil {
		return int(*p)
	}
	return int(def)
}

func (a *attrs) duration(name string, def time.Duration) time.Duration {
	s := a.str(name)
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		a.fail(name, "want a positive duration such as \"30s\" or \"500ms\", got %q", s)
		return def
	}
	return d
}

func (a *attrs) oneOf(name, got string, allowed ...string) {
	for _, s := range allowed {
		if got == s {
			return
		}
	}
	a.fail(name, "%q is not one of %s", got, strings.Join(allowed, ", "))
}

func (a *attrs) err() error {
	if len(a.errs) == 0 {
		return nil
	}
	return fmt.Errorf("model %q: %s", a.block, strings.Join(a.errs, "; "))
}

// parseConfig decodes and checks an evaluated model block body.
func parseConfig(block string, v cty.Value) (Config, error) {
	a := &attrs{block: block, v: v}
	c := Config{Block: block}
	c.Provider = a.str("provider")
	a.oneOf("provider", c.Provider, ProviderOpenAI, ProviderAzure, ProviderVLLM, ProviderOllama,
		ProviderLlamaCpp, ProviderTGI, ProviderOpenAICompatible, ProviderMock)
	c.Name = a.str("name")
	if c.Name == "" {
		a.fail("name", "required: the model name")
	}
	c.Revision = a.str("revision")
	c.BaseURLs = a.urls("base_url")
	if len(c.BaseURLs) > 0 {
		c.BaseURL = c.BaseURLs[0]
	}
	c.APIKey = a.str("api_key")
	c.Endpoint, c.Deployment = a.str("endpoint"), a.str("deployment")
	c.APIVersion = a.str("api_version")
	if c.API = a.str("api"); c.API == "" {
		c.API = "chat"
	}
	a.oneOf("api", c.API, "chat", "completions")

	c.Temperature = a.float("temperature", 0)
	if c.Temperature == nil && !reasoningModel(c.Name) {
		zero := 0.0
		c.Temperature = &zero
	}
	c.TopP = a.float("top_p", 0)
	c.MaxTokens = a.intOr("max_tokens", 1, 0)
	if v, ok := a.get("stop", cty.List(cty.String)); ok {
		for it := v.ElementIterator(); it.Next(); {
			_, s := it.Element()
			if s.IsNull() {
				a.fail("stop", "null element")
				continue
			}
			c.Stop = append(c.Stop, s.AsString())
		}
	}
	c.Seed = a.int("seed", math.MinInt64)
	c.N = a.intOr("n", 1, 1)
	if v, ok := a.get("stream", cty.Bool); ok {
		c.Stream = v.True()
	}

	c.Concurrency = a.intOr("concurrency", 1, 16)
	c.RPM = a.intOr("rpm", 1, 0)
	c.TPM = a.intOr("tpm", 1, 0)
	c.Timeout = a.duration("timeout", 300*time.Second)
	c.MaxRetries = a.intOr("max_retries", 0, 6)
	c.RetryBase = a.duration("retry_base", time.Second)
	c.RetryMax = a.duration("retry_max", time.Minute)
	c.PriceIn, c.PriceOut = a.float("price_in", 0), a.float("price_out", 0)
	c.BudgetUSD = a.float("budget_usd", 0)
	c.BudgetTokens = a.int("budget_tokens", 1)
	c.MockDefault = a.optStr("mock_default")
	if v, ok := a.get("mock", cty.List(cty.Object(map[string]cty.Type{"match": cty.String, "reply": cty.String}))); ok {
		for it := v.ElementIterator(); it.Next(); {
			i, r := it.Element()
			m, rep := r.GetAttr("match"), r.GetAttr("reply")
			if m.IsNull() || rep.IsNull() {
				a.fail("mock", "rule %s needs both match and reply", i.AsBigFloat().String())
				continue
			}
			if _, err := regexp.Compile(m.AsString()); err != nil {
				a.fail("mock", "rule %s: %v", i.AsBigFloat().String(), err)
			}
			c.Mock = append(c.Mock, MockRule{Match: m.AsString(), Reply: rep.AsString()})
		}
	}
	checkProvider(a, &c)
	return c, a.err()
}

// checkProvider applies the rules that depend on the provider.
func checkProvider(a *attrs, c *Config) {
	switch c.Provider {
	case ProviderMock:
		if len(c.Mock) == 0 && c.MockDefault == nil {
			a.fail("mock", "the mock provider needs mock rules or mock_default")
		}
		return
	case ProviderAzure:
		if c.Endpoint == "" && c.BaseURL == "" {
			a.fail("endpoint", "required for azure")
		}
		if c.Deployment == "" {
			a.fail("deployment", "required for azure")
		}
		if len(c.BaseURLs) > 1 {
			a.fail("base_url", "azure takes one endpoint")
		}
		if c.Endpoint == "" {
			c.Endpoint = c.BaseURL
		}
		c.BaseURL = c.Endpoint
		c.BaseURLs = []string{c.Endpoint}
	case ProviderOpenAICompatible:
		if c.BaseURL == "" {
			a.fail("base_url", "required for openai_compatible")
		}
	default:
		if c.BaseURL == "" {
			c.BaseURL = defaultBaseURL[c.Provider]
			c.BaseURLs = []string{c.BaseURL}
		}
	}
	if len(c.Mock) > 0 || c.MockDefault != nil {
		a.fail("mock", "only the mock provider takes a mock script")
	}
	seen := map[string]bool{}
	for _, b := range c.BaseURLs {
		u, err := url.Parse(b)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			a.fail("base_url", "want an http(s) URL, got %q", redactURL(b))
		}
		if seen[b] {
			a.fail("base_url", "%q is listed twice", redactURL(b))
		}
		seen[b] = true
	}
	if c.BudgetUSD != nil && c.PriceIn == nil && c.PriceOut == nil {
		if _, ok := lookupPrice(c.Provider, c.Name); !ok {
			a.fail("budget_usd", "no price is known for %q: set price_in and price_out (USD per million tokens)", c.Name)
		}
	}
}

// redactURL hides the user info (user name and password) of a URL: either
// may be a credential.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	return u.String()
}
