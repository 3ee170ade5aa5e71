package main

import (
	"fmt"
	"io"
	"math"
	"sort"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/engine"
	"github.com/ccw-dev/ccw/stages/llm"
)

// costKey groups the work a plan still has: by class (model call,
// execution, sandbox helper), resource block, combination and turn.
type costKey struct {
	class, resource, combo string
	turn                   int
}

// work counts instances still to do, and the prompt characters of those
// whose prompt can be rendered now.
type work struct {
	n, rendered int
	promptChars int
}

// costWalk is one speculative walk's counts.
type costWalk struct {
	res *engine.Result
	mu  sync.Mutex
	by  map[costKey]*work
}

const (
	classModel   = "model calls"
	classExecute = "executions"
	classHelper  = "sandbox helper runs"
)

func stageClass(kind string) string {
	switch kind {
	case "generate", "refine", "simulate":
		return classModel
	case "execute":
		return classExecute
	case "compile", "sanitize", "test_methods":
		return classHelper
	}
	return ""
}

// costPlan walks the experiment twice, speculatively: once as if every
// task whose stop rule cannot be decided from the cache stopped (at
// least), once as if none did (at most).
func (c *planCmd) costPlan(e *env) error {
	lower, err := c.costWalk(e, engine.SpeculateStop)
	if err != nil {
		return err
	}
	upper, err := c.costWalk(e, engine.SpeculateContinue)
	if err != nil {
		return err
	}
	var prior *results
	if c.Expect != "" {
		if prior, err = readResults(c.Expect); err != nil {
			return err
		}
	}
	printCost(e.stdout, lower, upper, prior)
	return nil
}

func (c *planCmd) costWalk(e *env, mode engine.Speculation) (*costWalk, error) {
	w := &costWalk{by: map[costKey]*work{}}
	var l *loaded
	var err error
	byLabel := map[string]*engine.StagePlan{}
	resName := map[any]string{}
	seen := map[string]bool{}
	l, w.res, err = c.walk(e, engine.RunOptions{DryRun: true, Speculate: mode, Events: func(ev engine.Event) {
		if ev.Kind != engine.EventWouldRun {
			return
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		sp := byLabel[ev.Label]
		if sp == nil {
			return
		}
		if ev.Key != "" { // identical instances run once
			if seen[ev.Key] {
				return
			}
			seen[ev.Key] = true
		}
		class := stageClass(sp.Runner.Kind())
		if class == "" {
			return
		}
		k := costKey{class: class, resource: resName[sp.Resource()], combo: ev.Addr.Combination, turn: ev.Addr.Turn}
		wk := w.by[k]
		if wk == nil {
			wk = &work{}
			w.by[k] = wk
		}
		wk.n++
		if class == classModel && ev.Config != cty.NilVal && ev.Config.IsWhollyKnown() {
			wk.rendered++
			wk.promptChars += promptChars(ev.Config)
		}
	}}, func(l *loaded) {
		ep, _ := l.plan.Experiment(c.Experiment)
		if ep != nil {
			for _, sp := range ep.AllStages() {
				byLabel[sp.Label] = sp
			}
		}
		for addr, rp := range l.plan.Resources {
			resName[rp.Resource] = addr
		}
	})
	_ = l
	return w, err
}

// promptChars is the size of the prompt a model stage's configuration
// renders: the template and system texts with every variable's value.
func promptChars(cfg cty.Value) int {
	n := 0
	for _, a := range []string{"template", "system"} {
		if cfg.Type().HasAttribute(a) {
			if v := cfg.GetAttr(a); v.IsKnown() && !v.IsNull() && v.Type() == cty.String {
				n += len(v.AsString())
			}
		}
	}
	if cfg.Type().HasAttribute("vars") {
		if vars := cfg.GetAttr("vars"); vars.IsKnown() && !vars.IsNull() && vars.CanIterateElements() {
			for it := vars.ElementIterator(); it.Next(); {
				_, v := it.Element()
				if v.IsKnown() && !v.IsNull() && v.Type() == cty.String {
					n += len(v.AsString())
				}
			}
		}
	}
	return n
}

// tokensOf estimates tokens from characters as the mock and the rate
// limiter do: one token per four characters.
func tokensOf(chars float64) float64 { return chars / 4 }

// totals sums a walk by class and resource.
func (w *costWalk) totals() map[[2]string]int {
	out := map[[2]string]int{}
	for k, wk := range w.by {
		out[[2]string{k.class, k.resource}] += wk.n
	}
	return out
}

// priorRates measures a prior run (or reference): per combination the
// share of tasks that reached each turn, and per (class, combination,
// turn) the calls or executions per reached task, plus mean prompt and
// answer tokens per model call and mean execution time.
type priorRates struct {
	reach    map[string][]float64 // combination -> turn -> share of tasks with a row
	perPair  map[costKey]float64  // class, "", combination, turn -> per reached task
	tokIn    map[string]float64   // model name -> mean prompt tokens per call
	tokOut   map[string]float64   // model name -> mean answer tokens per call
	execMS   float64
	hasCalls bool
	hasExec  bool
	tasks    int
}

func measure(r *results) *priorRates {
	p := &priorRates{reach: map[string][]float64{}, perPair: map[costKey]float64{}, tokIn: map[string]float64{}, tokOut: map[string]float64{}, tasks: len(r.out.Tasks)}
	rowsAt := map[costKey]int{}
	var execSum, execN float64
	execSeen := map[string]bool{}
	for _, row := range r.rows {
		if row.Stage != r.spec.Stage && r.spec.Stage != "" {
			continue
		}
		rowsAt[costKey{combo: row.Combination, turn: int(row.Turn)}]++
		// An execution is needed where its key first appears (identical
		// code and tests execute once).
		if row.ExecKey != "" && !execSeen[row.ExecKey] {
			execSeen[row.ExecKey] = true
			p.perPair[costKey{class: classExecute, combo: row.Combination, turn: int(row.Turn)}]++
		}
		if row.ExecMS > 0 {
			execSum += float64(row.ExecMS)
			execN++
		}
	}
	if execN > 0 {
		p.execMS = execSum / execN
	}
	p.hasExec = len(execSeen) > 0
	for k, v := range p.perPair {
		p.perPair[k] = v / float64(max(1, rowsAt[costKey{combo: k.combo, turn: k.turn}]))
	}
	for _, comb := range r.out.Combinations {
		re := make([]float64, r.out.Turns+1)
		for t := range re {
			re[t] = float64(rowsAt[costKey{combo: comb.Name, turn: t}]) / float64(max(1, p.tasks))
		}
		p.reach[comb.Name] = re
	}
	if len(r.calls) > 0 {
		p.hasCalls = true
		n := map[string]float64{}
		callSeen := map[string]bool{}
		for _, cl := range r.calls {
			// A request is sent where its key first appears: identical
			// requests (an unchanged prompt at a later turn) are answered
			// from the cache.
			if cl.CallKey != "" && callSeen[cl.CallKey] {
				continue
			}
			callSeen[cl.CallKey] = true
			k := costKey{class: classModel, resource: cl.Model, combo: cl.Combination, turn: int(cl.Turn)}
			p.perPair[k]++
			p.tokIn[cl.Model] += float64(cl.TokensIn)
			p.tokOut[cl.Model] += float64(cl.TokensOut)
			n[cl.Model]++
		}
		for m := range n {
			p.tokIn[m] /= n[m]
			p.tokOut[m] /= n[m]
		}
		for k, v := range p.perPair {
			if k.class != classModel {
				continue
			}
			reached := rowsAt[costKey{combo: k.combo, turn: k.turn}]
			if k.combo == "" { // turn 0, shared: one per task
				reached = p.tasks
			}
			p.perPair[k] = v / float64(max(1, reached))
		}
	}
	return p
}

// expected estimates the work of upper that happens when a task reaches
// turn t of combination c with the prior's share, and, with the prior's
// calls, makes the prior's number of calls per reached task; it stays
// within [lower, upper] for every (class, resource, combination, turn).
func expected(lower, upper *costWalk, p *priorRates, tasks int, modelName map[string]string) map[[2]string]float64 {
	out := map[[2]string]float64{}
	for k, wk := range upper.by {
		lo := 0
		if l := lower.by[k]; l != nil {
			lo = l.n
		}
		v := float64(wk.n)
		if k.turn > 0 && k.combo != "" {
			reach := 1.0
			if re, ok := p.reach[k.combo]; ok && k.turn < len(re) {
				reach = re[k.turn]
			}
			v = float64(wk.n) * reach
			switch {
			case k.class == classModel && p.hasCalls:
				v = float64(tasks) * reach * p.perPair[costKey{class: classModel, resource: modelName[k.resource], combo: k.combo, turn: k.turn}]
			case k.class == classExecute && p.hasExec:
				v = float64(tasks) * reach * p.perPair[costKey{class: classExecute, combo: k.combo, turn: k.turn}]
			}
		}
		v = math.Max(float64(lo), math.Min(float64(wk.n), v))
		out[[2]string{k.class, k.resource}] += v
	}
	return out
}

func printCost(w io.Writer, lower, upper *costWalk, prior *results) {
	res := upper.res
	tasks := len(res.Tasks.IDs)
	lo, hi := lower.totals(), upper.totals()
	models := map[string]*llm.Model{}
	modelName := map[string]string{} // block address -> model name
	var sandboxTimeout time.Duration
	for _, sp := range res.Experiment.AllStages() {
		switch r := sp.Resource().(type) {
		case *llm.Model:
			models[r.Name()] = r
			modelName["model."+r.Name()] = r.ModelName()
		case nil:
		default:
			if d := identityTimeout(r.Identity()); d > 0 {
				sandboxTimeout = d
			}
		}
	}
	var exp map[[2]string]float64
	var pr *priorRates
	if prior != nil {
		pr = measure(prior)
		exp = expected(lower, upper, pr, tasks, modelName)
	}
	keys := make([][2]string, 0, len(hi))
	for k := range hi {
		keys = append(keys, k)
	}
	for k := range lo {
		if _, ok := hi[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	fmt.Fprintln(w, "\ncost: what is still to do (cached results excluded)")
	if len(keys) == 0 {
		fmt.Fprintln(w, "  nothing: every model call and execution the run needs is cached")
		return
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "work\tresource\tat least\texpected\tat most\t")
	for _, k := range keys {
		e := "-"
		if exp != nil {
			e = fmt.Sprintf("%.0f", exp[k])
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t\n", k[0], k[1], lo[k], e, hi[k])
	}
	tw.Flush()

	// Tokens and dollars per model.
	fmt.Fprintln(w, "\ntokens and dollars per model (at least / expected / at most):")
	names := make([]string, 0, len(models))
	for n := range models {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		m := models[name]
		addr := "model." + name
		k := [2]string{classModel, addr}
		// Prompt tokens: the rendered prompts of the calls whose inputs are
		// known now; others at the mean of those, or the prior's mean.
		rendered, chars := 0, 0
		for ck, wk := range upper.by {
			if ck.class == classModel && ck.resource == addr {
				rendered += wk.rendered
				chars += wk.promptChars
			}
		}
		inPer, inHow := 0.0, ""
		switch {
		case pr != nil && pr.tokIn[m.ModelName()] > 0:
			inPer, inHow = pr.tokIn[m.ModelName()], fmt.Sprintf("prompt tokens: the prior run's mean per call of %s (%.0f)", m.ModelName(), pr.tokIn[m.ModelName()])
		case rendered > 0:
			inPer, inHow = tokensOf(float64(chars)/float64(rendered)), fmt.Sprintf("prompt tokens: %d prompts rendered now, %.0f characters each on average, /4", rendered, float64(chars)/float64(rendered))
		default:
			inHow = "prompt tokens: no prompt can be rendered yet and no prior run was given (--expect DIR)"
		}
		outPer, outHow := 0.0, ""
		if pr != nil && pr.tokOut[m.ModelName()] > 0 {
			outPer, outHow = pr.tokOut[m.ModelName()], fmt.Sprintf("answer tokens: measured in the prior run, %.0f per call", pr.tokOut[m.ModelName()])
		} else {
			outHow = "answer tokens: not measured (give --expect DIR of a run of this model)"
		}
		price, known := m.Price()
		cost := func(calls float64) string {
			if !known {
				return "$?"
			}
			return fmt.Sprintf("$%.2f", price.Cost(int(calls*inPer), int(calls*outPer)))
		}
		e := "-"
		if exp != nil {
			e = fmt.Sprintf("%.0f in, %.0f out, %s", exp[k]*inPer, exp[k]*outPer, cost(exp[k]))
		}
		fmt.Fprintf(w, "  %s (%s %s): %.0f in, %.0f out, %s / %s / %.0f in, %.0f out, %s\n", addr, m.Provider(), m.ModelName(),
			float64(lo[k])*inPer, float64(lo[k])*outPer, cost(float64(lo[k])), e, float64(hi[k])*inPer, float64(hi[k])*outPer, cost(float64(hi[k])))
		priceHow := fmt.Sprintf("price: $%.2f in, $%.2f out per million tokens", price.In, price.Out)
		if !known {
			priceHow = "price: not in the price table (set price_in and price_out in the model block)"
		} else if price == (llm.Price{}) {
			priceHow = "price: free (" + m.Provider() + ")"
		}
		fmt.Fprintf(w, "    %s; %s; %s\n", inHow, outHow, priceHow)
	}

	// Sandbox time.
	var execLo, execHi int
	var execExp float64
	for k, n := range lo {
		if k[0] == classExecute {
			execLo += n
		}
	}
	for k, n := range hi {
		if k[0] == classExecute {
			execHi += n
			if exp != nil {
				execExp += exp[k]
			}
		}
	}
	fmt.Fprintln(w, "\nsandbox time (executions of generated code):")
	if pr != nil && pr.execMS > 0 {
		per := time.Duration(pr.execMS * float64(time.Millisecond))
		fmt.Fprintf(w, "  %s / %s / %s at the prior run's mean of %s per execution\n", (per * time.Duration(execLo)).Round(time.Second),
			(time.Duration(execExp * float64(per))).Round(time.Second), (per * time.Duration(execHi)).Round(time.Second), per.Round(time.Millisecond))
	}
	if sandboxTimeout > 0 {
		fmt.Fprintf(w, "  at most %s of sandbox time: %d executions × the %s timeout (divide by the sandbox's slots for wall time)\n",
			(sandboxTimeout * time.Duration(execHi)).Round(time.Second), execHi, sandboxTimeout)
	}

	fmt.Fprintln(w, "\nhow the figures were made:")
	fmt.Fprintln(w, "  - at least: a walk of the plan in which every task whose stop rule the cache cannot decide stops there")
	fmt.Fprintln(w, "    (solved); stages whose `when` depends on results not computed yet are not counted.")
	fmt.Fprintln(w, "  - at most: the same walk in which no such task ever stops: every turn up to the budget is unrolled, and a")
	fmt.Fprintln(w, "    stage whose `when` cannot be decided yet is counted as running. Where both agree the count is exact.")
	if pr != nil {
		how := "the share of tasks that reached each turn in " + prior.dir
		if pr.hasCalls {
			how += ", times the distinct calls per reached task measured there (calls.parquet)"
		}
		if pr.hasExec {
			how += ", and the new executions per reached task there (distinct exec_key)"
		} else {
			how += " (no calls.parquet there: a reached turn makes every call it may make)"
		}
		fmt.Fprintf(w, "  - expected: turn 0 and decided turns as counted; for later turns %s; kept within the range.\n", how)
	} else {
		fmt.Fprintln(w, "  - expected: give --expect DIR (a prior run, or a reference run's results) to estimate from its per-turn pass rates.")
	}
	fmt.Fprintln(w, "  - instances with the same cache key are counted once; one whose inputs are still unknown may turn out")
	fmt.Fprintln(w, "    identical to another and be shared, so a few fewer may run than \"at least\" (compile checks of unchanged code).")
	fmt.Fprintln(w, "  - a refine call whose prompt the endpoint refuses as too long is repeated with shorter feedback: not counted.")
}

// identityTimeout reads limits.timeout_ms from a sandbox's identity.
func identityTimeout(id cty.Value) time.Duration {
	if id.IsNull() || !id.IsKnown() || !id.Type().IsObjectType() || !id.Type().HasAttribute("limits") {
		return 0
	}
	l := id.GetAttr("limits")
	if l.IsNull() || !l.Type().IsObjectType() || !l.Type().HasAttribute("timeout_ms") {
		return 0
	}
	ms := l.GetAttr("timeout_ms")
	if ms.IsNull() || !ms.IsKnown() || ms.Type() != cty.Number {
		return 0
	}
	f, _ := ms.AsBigFloat().Float64()
	return time.Duration(f * float64(time.Millisecond))
}
