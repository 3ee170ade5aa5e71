package llm

import (
	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/schemas"
)

// Role names of calls.
const (
	RoleCoder     = "coder"
	RoleSimulator = "simulator"
)

// Record is the accounting of one call: a row of calls.parquet. It holds
// no stage address: stage results are shared between vertices with the
// same key, so the engine adds the vertex when it writes the rows.
type Record struct {
	Role              string
	Model             string
	Provider          string
	Mock              bool
	Key               string // sub-store key of the canonical request
	PromptDigest      string
	Sample            int
	TokensIn          int
	TokensOut         int
	LatencyMS         int64
	Retries           int
	CostUSD           float64
	Cached            bool
	SystemFingerprint string
	ResponseModel     string
	FinishReason      string
	Error             string
}

func (m *Model) record(c Call, p *prepared, r Response, cached bool) Record {
	rec := Record{
		Role: c.Role, Model: m.cfg.Name, Provider: m.cfg.Provider, Mock: m.cfg.Provider == ProviderMock,
		Key: p.key, PromptDigest: p.digest, Sample: c.Sample,
		TokensIn: r.TokensIn, TokensOut: r.TokensOut, LatencyMS: r.LatencyMS, Retries: r.Retries,
		CostUSD: m.price.Cost(r.TokensIn, r.TokensOut), Cached: cached,
		SystemFingerprint: r.SystemFingerprint, ResponseModel: r.Model, FinishReason: r.FinishReason,
	}
	if r.ContextLength != "" {
		rec.Error = "context_length_exceeded"
	}
	return rec
}

// Value converts r to a schemas.CallType value.
func (r Record) Value() cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"role": cty.StringVal(r.Role), "model": cty.StringVal(r.Model), "provider": cty.StringVal(r.Provider),
		"mock": cty.BoolVal(r.Mock), "call_key": cty.StringVal(r.Key), "prompt_digest": cty.StringVal(r.PromptDigest),
		"sample": cty.NumberIntVal(int64(r.Sample)), "tokens_in": cty.NumberIntVal(int64(r.TokensIn)),
		"tokens_out": cty.NumberIntVal(int64(r.TokensOut)), "latency_ms": cty.NumberIntVal(r.LatencyMS),
		"retries": cty.NumberIntVal(int64(r.Retries)), "cost_usd": cty.NumberFloatVal(r.CostUSD),
		"cached": cty.BoolVal(r.Cached), "system_fingerprint": cty.StringVal(r.SystemFingerprint),
		"response_model": cty.StringVal(r.ResponseModel), "finish_reason": cty.StringVal(r.FinishReason),
		"error": cty.StringVal(r.Error),
	})
}

// Calls converts records to a schemas.CallsType value (an empty list when
// there are none).
func Calls(recs []Record) cty.Value {
	if len(recs) == 0 {
		return cty.ListValEmpty(schemas.CallType)
	}
	vals := make([]cty.Value, len(recs))
	for i, r := range recs {
		vals[i] = r.Value()
	}
	return cty.ListVal(vals)
}
