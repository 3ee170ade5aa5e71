package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ccw-dev/ccw/engine/cache"
	"github.com/ccw-dev/ccw/engine/cachekey"
	"github.com/ccw-dev/ccw/engine/dag"
	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// visit runs one vertex: a stage instance or a turn gate.
func (r *run) visit(ctx context.Context, id dag.ID) error {
	n := r.nodes.at(id)
	if n.sp == nil {
		return r.visitGate(ctx, n)
	}
	return r.visitStage(ctx, n)
}

// address names a node.
func (r *run) address(n *node) Address {
	a := Address{Experiment: r.ep.Name, TaskID: r.tasks.IDs[n.unit], Turn: int(n.turn)}
	if n.sp != nil {
		a.Stage = n.sp.Addr
	}
	if n.combo >= 0 {
		a.Combination = r.ep.Combinations[n.combo].Name
	}
	return a
}

// vals returns what n's expressions read.
func (r *run) vals(n *node) *instanceVals {
	combo := r.ep.Combinations[0].Value
	if n.combo >= 0 {
		combo = r.ep.Combinations[n.combo].Value
	}
	return &instanceVals{
		task:        r.tasks.Values[n.unit],
		combination: combo,
		turn:        turnValue(int(n.turn), r.ep.Turns),
		dep:         func(i int) cty.Value { return r.nodes.at(n.deps[indexOf(n.sp.Deps, i)]).result },
		prev:        func(i int) cty.Value { return r.nodes.at(n.prev[i]).result },
	}
}

func indexOf(list []int, v int) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return -1
}

// evalContext builds the full evaluation context of a stage instance, for
// expressions that are not plain references.
func (r *run) evalContext(sp *StagePlan, v *instanceVals) *hcl.EvalContext {
	ctx := r.ep.base.NewChild()
	list := r.ep.Stages
	if sp.InTurn {
		list = r.ep.TurnStages
	}
	ctx.Variables = stageVars(list, func(dp *StagePlan) cty.Value { return v.dep(dp.Index) }, append([]int{}, sp.Deps...))
	ctx.Variables["task"] = v.task
	ctx.Variables["combination"] = v.combination
	ctx.Variables["turn"] = v.turn
	if sp.InTurn {
		byKind := map[string]map[string]cty.Value{}
		for i, pd := range sp.PrevDeps {
			p := r.ep.TurnStages[pd.later]
			if byKind[p.Runner.Kind()] == nil {
				byKind[p.Runner.Kind()] = map[string]cty.Value{}
			}
			byKind[p.Runner.Kind()][p.Decl.Name] = v.prev(i)
		}
		prev := map[string]cty.Value{}
		for k, m := range byKind {
			prev[k] = cty.ObjectVal(m)
		}
		ctx.Variables["prev"] = objectOrEmpty(prev)
	}
	return ctx
}

// visitStage evaluates, keys, and resolves one stage instance.
func (r *run) visitStage(ctx context.Context, n *node) error {
	sp := n.sp
	addr := r.address(n)
	fail := func(ve *VertexError) error {
		if ctx.Err() != nil {
			return context.Cause(ctx) // interrupted, not failed: nothing to report
		}
		ve.Instance, ve.Range = addr, sp.Decl.DeclRange
		r.mu.Lock()
		r.errs = append(r.errs, ve)
		r.mu.Unlock()
		r.count(sp, EventFailed)
		r.emit(Event{Kind: EventFailed, Addr: addr, Label: sp.Label, Err: ve})
		return ve
	}
	v := r.vals(n)
	lazy := func() *hcl.EvalContext { return r.evalContext(sp, v) }
	fast := func(f *fastRef) (cty.Value, hcl.Diagnostics) { return f.eval(v) }
	release := func() { // the upstream results this instance read
		for _, d := range n.deps {
			r.nodes.at(d).release()
		}
		for _, d := range n.prev {
			r.nodes.at(d).release()
		}
	}

	if sp.when != nil {
		w, diags := evalAttrs([]boundAttr{*sp.when}, lazy, fast)
		if diags.HasErrors() {
			release()
			return fail(&VertexError{Diags: diags})
		}
		if wv := w.GetAttr("when"); !wv.IsKnown() && r.opts.Speculate != SpeculateNone {
			release()
			return r.speculate(n, addr, true, cty.NilVal)
		}
		if w.GetAttr("when").False() {
			release()
			n.na, n.result, n.how = true, cty.NullVal(sp.Runner.Output()), EventNotApplicable
			n.finish()
			r.count(sp, EventNotApplicable)
			if !sp.Ephemeral { // like their other outcomes, ephemeral stages report no events
				r.emit(Event{Kind: EventNotApplicable, Addr: addr, Label: sp.Label})
			}
			return nil
		}
	}
	cfg, diags := evalAttrs(sp.attrs, lazy, fast)
	release()
	if diags.HasErrors() {
		return fail(&VertexError{Diags: diags})
	}
	if r.opts.Speculate != SpeculateNone && !cfg.IsWhollyKnown() {
		return r.speculate(n, addr, false, cty.NilVal) // inputs not computed yet
	}

	input := stages.Input{
		Config:  sp.unmarked(cfg),
		Addr:    addr.String(),
		Offline: r.opts.Offline,
		Store:   subStore{r.opts.Cache},
		Notes: func(note string) {
			r.emit(Event{Kind: EventNote, Addr: addr, Label: sp.Label, Note: note})
		},
	}
	var val cty.Value
	var how EventKind
	var err error
	if sp.Ephemeral {
		val, err = sp.Runner.Run(ctx, input)
		how = EventRan
		if err == nil {
			val, err = conform(sp, val)
		}
	} else {
		key, kerr := stageKey(sp, cfg, false)
		if kerr != nil {
			return fail(&VertexError{Err: kerr})
		}
		n.key, _ = key.Digest()
		n.hasKey = true
		val, how, err = r.resolve(ctx, sp, key, cfg, input, addr)
	}
	if err == errWouldRun && r.opts.Speculate != SpeculateNone {
		return r.speculate(n, addr, false, input.Config)
	}
	if err == errWouldRun {
		r.count(sp, EventWouldRun)
		r.emit(Event{Kind: EventWouldRun, Addr: addr, Label: sp.Label, Key: keyString(n), Config: input.Config})
		return err
	}
	if err != nil {
		return fail(&VertexError{Err: err})
	}
	n.result, n.how = val, how
	if how == EventRan {
		r.recordTime(n, val)
	}
	if !sp.Ephemeral {
		r.count(sp, how)
	}
	if err := r.addCalls(n, addr, val); err != nil {
		return fail(&VertexError{Err: err})
	}
	if rower, ok := sp.Runner.(stages.TurnRower); ok {
		r.addRow(n, rower)
	}
	n.finish()
	return nil
}

// speculate finishes n with an unknown result, as a speculative plan
// does for what it would run (maybe: its when is undecided).
func (r *run) speculate(n *node, addr Address, maybe bool, cfg cty.Value) error {
	sp := n.sp
	n.result = cty.UnknownVal(sp.Runner.Output())
	how := EventWouldRun
	if maybe {
		how = eventMaybe
	}
	n.how = how
	n.finish()
	if !sp.Ephemeral {
		r.count(sp, how)
		r.emit(Event{Kind: EventWouldRun, Addr: addr, Label: sp.Label, Key: keyString(n), Maybe: maybe, Config: cfg})
	}
	return nil
}

func keyString(n *node) string {
	if !n.hasKey {
		return ""
	}
	return string(cachekey.FromDigest(n.key))
}

// addRow turns a score result into turns.parquet rows: one, or one per
// combination for an instance shared by every combination.
func (r *run) addRow(n *node, rower stages.TurnRower) {
	row := rower.TurnRow(n.result)
	row.Experiment = r.ep.Name
	row.Stage = n.sp.Addr
	row.TaskID = r.tasks.IDs[n.unit]
	row.TaskIndex = n.unit
	if row.Turn < 0 {
		row.Turn = int32(n.turn)
	}
	row.Excluded = r.isExcluded(row.TaskID)
	if p := r.prov[n.sp]; p >= 0 {
		row.ExecKey = keyString(r.nodes.at(n.deps[p]))
	}
	stage := n.sp.Index
	if n.sp.InTurn {
		stage += len(r.ep.Stages)
	}
	if n.combo >= 0 {
		r.rows.add(row, stage, []int{int(n.combo)}, []string{r.ep.Combinations[n.combo].Name})
		return
	}
	r.rows.add(row, stage, r.allCombos, r.comboNames)
}

// addCalls collects the model calls a result records, for calls.parquet.
func (r *run) addCalls(n *node, addr Address, val cty.Value) error {
	calls, err := schemas.CallsOf(val)
	if err != nil || len(calls) == 0 {
		return err
	}
	for i := range calls {
		c := &calls[i]
		c.Experiment, c.Combination, c.TaskID, c.Turn, c.Stage, c.VertexKey = addr.Experiment, addr.Combination, addr.TaskID, int32(addr.Turn), addr.Stage, keyString(n)
	}
	stage := n.sp.Index
	if n.sp.InTurn {
		stage += len(r.ep.Stages)
	}
	r.mu.Lock()
	r.calls = append(r.calls, callGroup{combo: int(n.combo), unit: int(n.unit), turn: int(n.turn), stage: stage, calls: calls})
	r.mu.Unlock()
	return nil
}

func (r *run) isExcluded(id string) bool {
	for _, x := range r.ep.Exclude {
		if x == id {
			return true
		}
	}
	return false
}

// stageKey derives the cache key of a stage instance.
func stageKey(sp *StagePlan, cfg cty.Value, explain bool) (cachekey.Key, error) {
	k, _, err := stageKeyRecord(sp, cfg, explain)
	return k, err
}

func stageKeyRecord(sp *StagePlan, cfg cty.Value, explain bool) (cachekey.Key, *cachekey.Record, error) {
	h := cachekey.New()
	if explain {
		h = cachekey.NewExplained()
	}
	h.String("type", sp.Runner.CacheType())
	h.String("key_schema", cachekey.SchemaVersion)
	if err := h.Value("config", keyValue(cfg, sp.attrs)); err != nil {
		return "", nil, fmt.Errorf("cannot derive the cache key: %w", err)
	}
	k, err := h.Sum()
	return k, h.Record(), err
}

// resolve returns the result for key: shared with an identical vertex in
// flight, taken from the cache, or computed and stored.
func (r *run) resolve(ctx context.Context, sp *StagePlan, key cachekey.Key, cfg cty.Value, input stages.Input, addr Address) (cty.Value, EventKind, error) {
	r.flightsMu.Lock()
	if f, ok := r.flights[string(key)]; ok {
		r.flightsMu.Unlock()
		select {
		case <-f.done:
			return f.val, EventShared, f.err
		case <-ctx.Done():
			return cty.NilVal, EventFailed, context.Cause(ctx)
		}
	}
	f := &flight{done: make(chan struct{})}
	r.flights[string(key)] = f
	r.flightsMu.Unlock()
	defer func() {
		r.flightsMu.Lock()
		delete(r.flights, string(key))
		r.flightsMu.Unlock()
		close(f.done)
	}()

	digest, _ := key.Digest()
	e, ok, err := r.opts.Cache.Lookup(digest)
	if err != nil { // not a miss: recomputing could pay for work that is done
		f.err = fmt.Errorf("reading the cache: %w", err)
		return cty.NilVal, EventFailed, f.err
	}
	if ok {
		if v, err := cachekey.Decode(e.Data, sp.Runner.Output()); err == nil {
			f.val = v
			r.emit(Event{Kind: EventCached, Addr: addr, Label: sp.Label, Key: string(key)})
			return v, EventCached, nil
		}
	}
	if r.opts.DryRun {
		f.err = errWouldRun
		return cty.NilVal, EventWouldRun, errWouldRun
	}
	r.emit(Event{Kind: EventStarted, Addr: addr, Label: sp.Label, Key: string(key)})
	start := time.Now()
	v, err := sp.Runner.Run(ctx, input)
	if err == nil {
		v, err = conform(sp, v)
	}
	if err != nil {
		f.err = err
		return cty.NilVal, EventFailed, err
	}
	if v, err = r.store(sp, key, cfg, v, addr); err != nil {
		f.err = err
		return cty.NilVal, EventFailed, err
	}
	f.val = v
	ev := Event{Kind: EventRan, Addr: addr, Label: sp.Label, Key: string(key), Duration: time.Since(start)}
	if calls, _ := schemas.CallsOf(v); len(calls) > 0 {
		for _, c := range calls {
			ev.TokensIn, ev.TokensOut, ev.CostUSD = ev.TokensIn+c.TokensIn, ev.TokensOut+c.TokensOut, ev.CostUSD+c.CostUSD
		}
	}
	r.emit(ev)
	return v, EventRan, nil
}

// conform checks that a runner returned a value of its declared type.
func conform(sp *StagePlan, v cty.Value) (cty.Value, error) {
	out, err := convert.Convert(v, sp.Runner.Output())
	if err != nil || !out.IsWhollyKnown() {
		return cty.NilVal, fmt.Errorf("stage kind %q returned a value that does not match its output type (a bug in ccw): %v", sp.Runner.Kind(), err)
	}
	return out, nil
}

// store writes the result and the explain record of its key, which also
// names the instance that computed it, and returns the result of the key:
// v, or the result another process stored first (entries are create-only,
// so every reader of a key sees one result, whoever computed it).
func (r *run) store(sp *StagePlan, key cachekey.Key, cfg cty.Value, v cty.Value, addr Address) (cty.Value, error) {
	data, err := cachekey.Encode(v)
	if err != nil {
		return cty.NilVal, fmt.Errorf("encoding result: %w", err)
	}
	var explain [32]byte
	if _, rec, err := stageKeyRecord(sp, cfg, true); err == nil && rec != nil {
		rec.Address = addr.String()
		if b, err := json.Marshal(rec); err == nil {
			if d, err := r.opts.Cache.PutBlob(b); err == nil {
				explain = d
			}
		}
	}
	digest, _ := key.Digest()
	err = r.opts.Cache.Put(digest, sp.Runner.CacheType(), data, explain)
	if errors.Is(err, cache.ErrExists) {
		if e, ok, lerr := r.opts.Cache.Lookup(digest); lerr == nil && ok {
			if won, derr := cachekey.Decode(e.Data, sp.Runner.Output()); derr == nil {
				return won, nil
			}
		}
		return v, nil // the entry that won is unreadable here: keep ours
	}
	if err != nil {
		return cty.NilVal, fmt.Errorf("storing result: %w", err)
	}
	return v, nil
}
