package llmstage

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages"
	"github.com/ccw-dev/ccw/stages/llm"
)

// Runner is one of the stage kinds generate, refine and simulate. They
// differ in the role their calls are accounted under and in what simulate
// adds (persona, output field, leak guard); the rest is shared.
type Runner struct {
	kind     string
	role     string
	simulate bool
}

// NewGenerate returns the `generate` stage kind: initial code from the
// model under test.
//
//	stage "generate" "initial" {
//	  model    = model.coder
//	  template = prompt_template("instruct")
//	  vars     = { input = task.instruct_prompt }
//	}
func NewGenerate() stages.Runner { return &Runner{kind: "generate", role: llm.RoleCoder} }

// NewRefine returns the `refine` stage kind: new code from the model under
// test after feedback. When the endpoint refuses the prompt as too long,
// the variable named by `shorten` (default execution_feedback) is trimmed
// step by step as protocol.md §2.2 step 8 describes.
func NewRefine() stages.Runner { return &Runner{kind: "refine", role: llm.RoleCoder} }

// NewSimulate returns the `simulate` stage kind: the simulated user's
// verbal feedback, with the expert's leak guard (see Feedback; with
// fidelity, FeedbackOriginal).
//
//	stage "simulate" "expert" {
//	  model    = model.user
//	  persona  = "expert"
//	  fidelity = false   # true: the original's cuts, "\n```" for the expert
//	  template = prompt_template("simulate_user_feedback")
//	  vars     = { input = task.instruct_prompt, ground_truth_code = ..., previous_code = ... }
//	}
func NewSimulate() stages.Runner {
	return &Runner{kind: "simulate", role: llm.RoleSimulator, simulate: true}
}

var (
	_ stages.Runner = (*Runner)(nil)

	// CoderOutput is the result type of generate and refine.
	CoderOutput = cty.Object(coderAttrs())
	// SimulateOutput is the result type of simulate.
	SimulateOutput = cty.Object(simulateAttrs())
)

func coderAttrs() map[string]cty.Type {
	return map[string]cty.Type{
		"text":          cty.String,           // the first choice
		"texts":         cty.List(cty.String), // every choice (n)
		"prompt":        cty.String,           // the prompt that was answered
		"finish_reason": cty.String,
		"error":         cty.String, // "" or "context_length_exceeded"
		"trim":          cty.String, // "" or "front/rear" of the shortened variable
		"calls":         schemas.CallsType,
		// Sums over calls, for score and turns.parquet.
		"model":      cty.String,
		"tokens_in":  cty.Number,
		"tokens_out": cty.Number,
		"latency_ms": cty.Number,
		"cost_usd":   cty.Number,
	}
}

func simulateAttrs() map[string]cty.Type {
	a := coderAttrs()
	a["feedback"] = cty.String
	a["leak_guarded"] = cty.Bool
	return a
}

// Kind implements stages.Runner.
func (r *Runner) Kind() string { return r.kind }

// CacheType implements stages.Runner. refine is at v2 since trimming
// follows Python's splitlines; simulate since the corrected leak guard
// keeps the prose around a dropped code block.
func (r *Runner) CacheType() string {
	if r.kind == "generate" {
		return "ccw.generate.v1"
	}
	return "ccw." + r.kind + ".v2"
}

// Output implements stages.Runner.
func (r *Runner) Output() cty.Type {
	if r.simulate {
		return SimulateOutput
	}
	return CoderOutput
}

// Config implements stages.Runner.
func (r *Runner) Config() stages.Schema {
	s := stages.Schema{
		{Name: "model", Type: llm.ModelType, Required: true, Doc: "the model block to ask, e.g. model.coder"},
		{Name: "template", Type: cty.String, Required: true,
			Doc: "prompt template (HCL template syntax, rendered by the stage with vars): prompt_template(kind), file(...), or an inline heredoc with $${...} escapes"},
		{Name: "system", Type: cty.String, Default: cty.StringVal(""), Doc: "system message template (chat API); rendered with vars"},
		{Name: "vars", Type: cty.Map(cty.String), Default: cty.MapValEmpty(cty.String), Doc: "template variables; null renders as empty text"},
		{Name: "sample", Type: cty.Number, Default: cty.NumberIntVal(0), Doc: "sample index: part of the request key, added to the model's seed"},
		{Name: "shorten", Type: cty.String, Default: cty.StringVal("execution_feedback"),
			Doc: "the variable to trim when the prompt exceeds the context length"},
		{Name: "shorten_from", Type: cty.String, Default: cty.NullVal(cty.String),
			Doc: "the text that trimming starts from (the original re-renders the untrimmed execution feedback at every retry), e.g. feedback.execution.untrimmed; default the variable's value"},
	}
	if r.simulate {
		s = append(s,
			stages.Attr{Name: "persona", Type: cty.String, Required: true, Doc: "expert | novice"},
			stages.Attr{Name: "field", Type: cty.String, Default: cty.StringVal("User Feedback:"), Doc: "output field holding the feedback"},
			stages.Attr{Name: "leak_guard", Type: cty.Bool, Default: cty.True, Doc: "expert: drop any code block from the feedback"},
			stages.Attr{Name: "fidelity", Type: cty.Bool, Default: cty.False,
				Doc: "reproduce the original's post-processing (protocol.md §2.2 step 7): cut at any \"---\" and \"\\n\\n\\n\", and the expert's leak guard cuts at the first \"\\n```\" (the first code block and everything after it); default: fenced blocks are removed and the prose around them kept"},
		)
	}
	return s
}

// config is a decoded stage body.
type config struct {
	model    *llm.Model
	template *template
	system   *template
	vars     map[string]cty.Value
	sample   int
	shorten  string
	from     *string // shorten_from, when set
	persona  string
	field    string
	guard    bool
	fidelity bool
}

func (r *Runner) decode(in stages.Input) (*config, error) {
	v := in.Config
	get := in.Attr
	str := func(name string) (string, error) {
		a, err := get(name, cty.String)
		if err != nil || a.IsNull() {
			return "", err
		}
		return a.AsString(), nil
	}
	c := &config{}
	m, ok := stages.ResourceOf(v.GetAttr("model")).(*llm.Model)
	if !ok {
		return nil, fmt.Errorf("%s: attribute model: want a model block reference such as model.coder", in.Addr)
	}
	c.model = m
	var err error
	var tsrc, ssrc string
	if tsrc, err = str("template"); err != nil {
		return nil, err
	}
	if ssrc, err = str("system"); err != nil {
		return nil, err
	}
	if c.template, err = parseTemplate(tsrc, in.Addr+" template"); err != nil {
		return nil, err
	}
	if c.system, err = parseTemplate(ssrc, in.Addr+" system"); err != nil {
		return nil, err
	}
	vars, err := get("vars", cty.Map(cty.String))
	if err != nil {
		return nil, err
	}
	c.vars = map[string]cty.Value{}
	if !vars.IsNull() {
		c.vars = vars.AsValueMap()
	}
	for _, t := range []struct {
		t    *template
		name string
	}{{c.template, "template"}, {c.system, "system"}} {
		if err := t.t.check(in.Addr+" "+t.name, c.vars); err != nil {
			return nil, err
		}
	}
	if s, err := get("sample", cty.Number); err != nil {
		return nil, err
	} else if !s.IsNull() {
		n, acc := s.AsBigFloat().Int64()
		if acc != 0 || n < 0 {
			return nil, fmt.Errorf("%s: attribute sample: want a whole number of at least 0", in.Addr)
		}
		c.sample = int(n)
	}
	if c.shorten, err = str("shorten"); err != nil {
		return nil, err
	}
	if from, err := get("shorten_from", cty.String); err != nil {
		return nil, err
	} else if !from.IsNull() {
		f := from.AsString()
		c.from = &f
	}
	if r.simulate {
		if c.persona, err = str("persona"); err != nil {
			return nil, err
		}
		if c.persona != "expert" && c.persona != "novice" {
			return nil, fmt.Errorf("%s: attribute persona: %q is not one of expert, novice", in.Addr, c.persona)
		}
		if c.field, err = str("field"); err != nil {
			return nil, err
		}
		g, err := get("leak_guard", cty.Bool)
		if err != nil {
			return nil, err
		}
		c.guard = g.IsNull() || g.True()
		f, err := get("fidelity", cty.Bool)
		if err != nil {
			return nil, err
		}
		c.fidelity = !f.IsNull() && f.True()
	}
	return c, nil
}

// Run implements stages.Runner.
func (r *Runner) Run(ctx context.Context, in stages.Input) (cty.Value, error) {
	c, err := r.decode(in)
	if err != nil {
		return cty.NilVal, err
	}
	env := llm.EnvOf(in)
	var recs []llm.Record
	step, trimmed, last := firstTrim, false, ""
	for {
		vars := c.vars
		if trimmed {
			vars = maps.Clone(c.vars)
			vars[c.shorten] = cty.StringVal(TrimFeedback(c.source(), step.front, step.rear))
		}
		prompt, err := c.template.render(in.Addr+" template", vars)
		if err != nil {
			return cty.NilVal, err
		}
		system, err := c.system.render(in.Addr+" system", vars)
		if err != nil {
			return cty.NilVal, err
		}
		// Ask unless this step rendered the prompt that was just refused.
		if this := prompt + "\x00" + system; this != last {
			last = this
			reply, err := c.model.Do(ctx, env, llm.Call{Role: r.role, System: system, Prompt: prompt, Sample: c.sample})
			var cl *llm.ContextLengthError
			switch {
			case errors.As(err, &cl):
				recs = append(recs, cl.Record)
			case err != nil:
				return cty.NilVal, fmt.Errorf("%s: %w", in.Addr, err)
			default:
				recs = append(recs, reply.Record)
				return r.result(c, reply, prompt, trimLabel(trimmed, step), recs), nil
			}
		}
		// The prompt does not fit: shorten the feedback, or give up.
		if !c.canShorten() {
			return r.failed(c, prompt, trimLabel(trimmed, step), recs), nil
		}
		if trimmed {
			next, ok := step.next()
			if !ok {
				return r.failed(c, prompt, trimLabel(trimmed, step), recs), nil
			}
			step = next
		}
		trimmed = true
		in.Note(fmt.Sprintf("%s: prompt too long for model %q; trimming %s to %d+%d characters",
			in.Addr, c.model.Name(), c.shorten, step.front, step.rear))
	}
}

func (c *config) canShorten() bool {
	v, ok := c.vars[c.shorten]
	return c.shorten != "" && ok && !v.IsNull() && c.source() != ""
}

// source is the text trimming starts from: shorten_from, else the
// variable's value.
func (c *config) source() string {
	if c.from != nil {
		return *c.from
	}
	v := c.vars[c.shorten]
	if v.IsNull() {
		return ""
	}
	return v.AsString()
}

func trimLabel(trimmed bool, s trimStep) string {
	if !trimmed {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.front, s.rear)
}

func (r *Runner) result(c *config, reply llm.Reply, prompt, trim string, recs []llm.Record) cty.Value {
	texts := make([]cty.Value, len(reply.Texts))
	for i, t := range reply.Texts {
		texts[i] = cty.StringVal(t)
	}
	text := ""
	list := cty.ListValEmpty(cty.String)
	if len(texts) > 0 {
		text, list = reply.Texts[0], cty.ListVal(texts)
	}
	out := map[string]cty.Value{
		"text": cty.StringVal(text), "texts": list, "prompt": cty.StringVal(prompt),
		"finish_reason": cty.StringVal(reply.Record.FinishReason), "error": cty.StringVal(""),
		"trim": cty.StringVal(trim),
	}
	addCalls(out, c.model.ModelName(), recs)
	if r.simulate {
		post := Feedback
		if c.fidelity {
			post = FeedbackOriginal
		}
		fb, guarded := post(text, c.field, c.persona == "expert", c.guard)
		out["feedback"], out["leak_guarded"] = cty.StringVal(fb), cty.BoolVal(guarded)
	}
	return cty.ObjectVal(out)
}

// failed is the outcome when even the shortest prompt does not fit: a
// result (the same inputs fail the same way), with no text.
func (r *Runner) failed(c *config, prompt, trim string, recs []llm.Record) cty.Value {
	out := map[string]cty.Value{
		"text": cty.StringVal(""), "texts": cty.ListValEmpty(cty.String), "prompt": cty.StringVal(prompt),
		"finish_reason": cty.StringVal(""), "error": cty.StringVal("context_length_exceeded"),
		"trim": cty.StringVal(trim),
	}
	addCalls(out, c.model.ModelName(), recs)
	if r.simulate {
		out["feedback"], out["leak_guarded"] = cty.StringVal(""), cty.False
	}
	return cty.ObjectVal(out)
}

// addCalls sets the calls attribute and its sums.
func addCalls(out map[string]cty.Value, model string, recs []llm.Record) {
	var in, outTok, ms int64
	var cost float64
	for _, r := range recs {
		in, outTok, ms, cost = in+int64(r.TokensIn), outTok+int64(r.TokensOut), ms+r.LatencyMS, cost+r.CostUSD
	}
	out["calls"] = llm.Calls(recs)
	out["model"] = cty.StringVal(model)
	out["tokens_in"], out["tokens_out"] = cty.NumberIntVal(in), cty.NumberIntVal(outTok)
	out["latency_ms"], out["cost_usd"] = cty.NumberIntVal(ms), cty.NumberFloatVal(cost)
}
