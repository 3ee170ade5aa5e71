package schemas

import (
	"fmt"
	"reflect"

	"github.com/zclconf/go-cty/cty"
)

// CallsVersion is the version of the calls table. Bump it (and say why in
// the change) whenever a column is added, removed or changes meaning.
const CallsVersion = "1"

// Call is one row of calls.parquet: one request to a model. The first six
// columns say which vertex the call belongs to and are filled by the
// engine; the others come from a call record, an element of the `calls`
// output attribute of every stage that talks to a model (CallType).
type Call struct {
	Experiment  string `arrow:"experiment" doc:"experiment block name"`
	Combination string `arrow:"combination" doc:"feedback combination, empty for single-turn pipelines"`
	TaskID      string `arrow:"task_id"`
	Turn        int32  `arrow:"turn"`
	Stage       string `arrow:"stage" doc:"stage address, e.g. refine.fix"`
	VertexKey   string `arrow:"vertex_key" doc:"cache key of the stage result holding the call"`

	Role              string  `arrow:"role" doc:"coder or simulator"`
	Model             string  `arrow:"model" doc:"model name as configured"`
	Provider          string  `arrow:"provider" doc:"openai, azure, vllm, ollama, llamacpp, tgi, openai_compatible or mock"`
	Mock              bool    `arrow:"mock" doc:"the answer came from the mock provider"`
	CallKey           string  `arrow:"call_key" doc:"sub-store key of the canonical request"`
	PromptDigest      string  `arrow:"prompt_digest" doc:"sha256 of the messages or prompt"`
	Sample            int64   `arrow:"sample" doc:"sample index"`
	TokensIn          int64   `arrow:"tokens_in" doc:"prompt tokens as the endpoint reported them (estimated for mock)"`
	TokensOut         int64   `arrow:"tokens_out" doc:"completion tokens as the endpoint reported them (estimated for mock)"`
	LatencyMS         int64   `arrow:"latency_ms" doc:"wall time of the attempt that answered"`
	Retries           int64   `arrow:"retries" doc:"failed attempts before the answer"`
	CostUSD           float64 `arrow:"cost_usd" doc:"price of the tokens in US dollars"`
	Cached            bool    `arrow:"cached" doc:"served from the sub-store, not the network (provenance, not a result)"`
	SystemFingerprint string  `arrow:"system_fingerprint"`
	ResponseModel     string  `arrow:"response_model" doc:"model name the endpoint reported"`
	FinishReason      string  `arrow:"finish_reason" doc:"finish reason of the first choice"`
	Error             string  `arrow:"error" doc:"model-side outcome such as context_length_exceeded; empty on success"`
}

// Calls is the calls.parquet table.
var Calls = NewTable("calls", CallsVersion, "one row per LLM call", Call{})

// vertexColumns are the Call columns the engine fills; the rest form a
// call record.
const vertexColumns = 6

// recordField is a Call field that comes from a call record.
type recordField struct {
	index int
	name  string
	ty    cty.Type
}

var recordFields = func() []recordField {
	t := reflect.TypeOf(Call{})
	var out []recordField
	for i := vertexColumns; i < t.NumField(); i++ {
		f := t.Field(i)
		ty := cty.Number
		switch f.Type.Kind() {
		case reflect.String:
			ty = cty.String
		case reflect.Bool:
			ty = cty.Bool
		}
		out = append(out, recordField{index: i, name: f.Tag.Get("arrow"), ty: ty})
	}
	return out
}()

// CallType is the cty type of one call record.
var CallType = func() cty.Type {
	attrs := make(map[string]cty.Type, len(recordFields))
	for _, f := range recordFields {
		attrs[f.name] = f.ty
	}
	return cty.Object(attrs)
}()

// CallsType is the type of a `calls` output attribute.
var CallsType = cty.List(CallType)

// CallsFromValue converts a `calls` attribute (a list of CallType, or
// null) into rows. The vertex columns are left for the caller to fill.
func CallsFromValue(calls cty.Value) ([]Call, error) {
	if calls.IsNull() {
		return nil, nil
	}
	ty := calls.Type()
	if !calls.IsWhollyKnown() || !(ty.IsListType() || ty.IsTupleType() || ty.IsSetType()) {
		return nil, fmt.Errorf("calls: want a known list of call records, got %s", ty.FriendlyName())
	}
	var out []Call
	for it := calls.ElementIterator(); it.Next(); {
		_, rec := it.Element()
		c, err := callFromValue(rec)
		if err != nil {
			return nil, fmt.Errorf("calls[%d]: %w", len(out), err)
		}
		out = append(out, c)
	}
	return out, nil
}

func callFromValue(rec cty.Value) (Call, error) {
	var c Call
	if rec.IsNull() || !rec.Type().IsObjectType() {
		return c, fmt.Errorf("want an object, got %s", rec.Type().FriendlyName())
	}
	rv := reflect.ValueOf(&c).Elem()
	for _, f := range recordFields {
		if !rec.Type().HasAttribute(f.name) {
			return c, fmt.Errorf("missing attribute %q", f.name)
		}
		v := rec.GetAttr(f.name)
		if v.IsNull() {
			continue
		}
		if !v.Type().Equals(f.ty) {
			return c, fmt.Errorf("attribute %q: want %s, got %s", f.name, f.ty.FriendlyName(), v.Type().FriendlyName())
		}
		fv := rv.Field(f.index)
		switch fv.Kind() {
		case reflect.String:
			fv.SetString(v.AsString())
		case reflect.Bool:
			fv.SetBool(v.True())
		case reflect.Float64:
			x, _ := v.AsBigFloat().Float64()
			fv.SetFloat(x)
		default:
			n, _ := v.AsBigFloat().Int64()
			fv.SetInt(n)
		}
	}
	return c, nil
}

// CallsOf returns the call records of a stage result: its `calls`
// attribute, when the result is an object with one. Results of stages
// that make no calls give nil.
func CallsOf(result cty.Value) ([]Call, error) {
	if result.IsNull() || !result.Type().IsObjectType() || !result.Type().HasAttribute("calls") {
		return nil, nil
	}
	return CallsFromValue(result.GetAttr("calls"))
}
