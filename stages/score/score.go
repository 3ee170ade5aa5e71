package score

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages"
	"github.com/ccw-dev/ccw/stages/sandbox"
	"github.com/zclconf/go-cty/cty"
)

// Runner is the score stage.
type Runner struct{}

var (
	_ stages.Runner    = (*Runner)(nil)
	_ stages.Ephemeral = (*Runner)(nil)
	_ stages.TurnRower = (*Runner)(nil)
)

// New returns the score stage.
func New() *Runner { return &Runner{} }

// Kind implements stages.Runner.
func (*Runner) Kind() string { return "score" }

// CacheType implements stages.Runner.
func (*Runner) CacheType() string { return "ccw.score.v1" }

// Ephemeral implements stages.Ephemeral: a score is recomputed from its
// execution on every walk.
func (*Runner) Ephemeral() bool { return true }

var nullString = cty.NullVal(cty.String)
var nullNumber = cty.NullVal(cty.Number)

// Config implements stages.Runner.
func (*Runner) Config() stages.Schema {
	return stages.Schema{
		{Name: "execution", Type: sandbox.ResultType, Required: true, Doc: "the execute stage whose result is scored, e.g. execute.reference"},
		{Name: "code", Type: cty.String, Required: true, Doc: "the program that was executed"},
		{Name: "turn", Type: cty.Number, Doc: "the row's turn; default the instance's turn (0 for the initial code)"},
		{Name: "compiled", Type: cty.Bool, Default: cty.NullVal(cty.Bool), Doc: "whether the code compiled, if checked"},
		{Name: "feedback_compilation", Type: cty.String, Default: nullString},
		{Name: "feedback_execution", Type: cty.String, Default: nullString},
		{Name: "feedback_verbal", Type: cty.String, Default: nullString},
		{Name: "model", Type: cty.String, Default: nullString, Doc: "the model that wrote the code"},
		{Name: "simulator", Type: cty.String, Default: nullString},
		{Name: "tokens_in", Type: cty.Number, Default: nullNumber},
		{Name: "tokens_out", Type: cty.Number, Default: nullNumber},
		{Name: "latency_ms", Type: cty.Number, Default: nullNumber},
		{Name: "cost_usd", Type: cty.Number, Default: nullNumber},
	}
}

// OutputType is the type of a score: one turn row without the columns the
// engine adds (experiment, combination, task, provenance).
var OutputType = cty.Object(map[string]cty.Type{
	"turn":                 cty.Number,
	"code":                 cty.String,
	"code_sha256":          cty.String,
	"compiled":             cty.Bool,
	"passed":               cty.Bool,
	"execution":            sandbox.ResultType,
	"feedback_compilation": cty.String,
	"feedback_execution":   cty.String,
	"feedback_verbal":      cty.String,
	"model":                cty.String,
	"simulator":            cty.String,
	"tokens_in":            cty.Number,
	"tokens_out":           cty.Number,
	"latency_ms":           cty.Number,
	"cost_usd":             cty.Number,
})

// Output implements stages.Runner.
func (*Runner) Output() cty.Type { return OutputType }

// Run implements stages.Runner.
func (*Runner) Run(_ context.Context, in stages.Input) (cty.Value, error) {
	cfg := in.Config
	code := cfg.GetAttr("code").AsString()
	sum := sha256.Sum256([]byte(code))
	exec := cfg.GetAttr("execution")
	out := map[string]cty.Value{
		"code":        cfg.GetAttr("code"),
		"code_sha256": cty.StringVal(hex.EncodeToString(sum[:])),
		"passed":      exec.GetAttr("passed"),
		"execution":   exec,
	}
	for name := range OutputType.AttributeTypes() {
		if _, set := out[name]; !set {
			out[name] = cfg.GetAttr(name)
		}
	}
	return cty.ObjectVal(out), nil
}

// ProvenanceAttr implements stages.TurnRower: the execution's vertex
// supplies exec_key and cached.
func (*Runner) ProvenanceAttr() string { return "execution" }

// TurnRow implements stages.TurnRower.
func (*Runner) TurnRow(v cty.Value) schemas.Turn {
	exec := sandbox.ResultFromValue(v.GetAttr("execution"))
	row := schemas.Turn{
		Turn:                -1, // the engine fills in the instance's turn
		Code:                v.GetAttr("code").AsString(),
		CodeSHA256:          v.GetAttr("code_sha256").AsString(),
		Compiled:            optBool(v.GetAttr("compiled")),
		Status:              string(exec.Status),
		Passed:              v.GetAttr("passed").True(),
		TestsRun:            int32(len(exec.Tests)),
		Limit:               exec.Limit,
		Output:              exec.Output,
		ExecMS:              exec.Duration.Milliseconds(),
		FeedbackCompilation: optString(v.GetAttr("feedback_compilation")),
		FeedbackExecution:   optString(v.GetAttr("feedback_execution")),
		FeedbackVerbal:      optString(v.GetAttr("feedback_verbal")),
		Model:               optString(v.GetAttr("model")),
		Simulator:           optString(v.GetAttr("simulator")),
		TokensIn:            optInt(v.GetAttr("tokens_in")),
		TokensOut:           optInt(v.GetAttr("tokens_out")),
		LatencyMS:           optInt(v.GetAttr("latency_ms")),
		CostUSD:             optFloat(v.GetAttr("cost_usd")),
		Tests:               []schemas.Test{},
	}
	if t := v.GetAttr("turn"); !t.IsNull() {
		row.Turn = int32(intOf(t))
	}
	for _, t := range exec.Tests {
		row.Tests = append(row.Tests, schemas.Test{Name: t.Name, Status: t.Status, Message: t.Message})
		if t.Status == "fail" || t.Status == "error" || t.Status == "timeout" {
			row.TestsFailed++
		}
	}
	return row
}

func intOf(v cty.Value) int64 {
	if v.IsNull() {
		return 0
	}
	i, _ := v.AsBigFloat().Int64()
	return i
}

func optString(v cty.Value) *string {
	if v.IsNull() {
		return nil
	}
	s := v.AsString()
	return &s
}

func optBool(v cty.Value) *bool {
	if v.IsNull() {
		return nil
	}
	b := v.True()
	return &b
}

func optInt(v cty.Value) *int64 {
	if v.IsNull() {
		return nil
	}
	i := intOf(v)
	return &i
}

func optFloat(v cty.Value) *float64 {
	if v.IsNull() {
		return nil
	}
	f, _ := v.AsBigFloat().Float64()
	return &f
}
