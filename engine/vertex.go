package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/ccw-dev/ccw/engine/cachekey"
	"github.com/ccw-dev/ccw/engine/dag"
	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// visit evaluates, keys, and resolves one vertex.
func (r *run) visit(ctx context.Context, id dag.ID) error {
	in := &r.insts[id]
	sp := r.ep.Stages[in.stage]
	taskID := r.tasks.IDs[in.unit]
	fail := func(ve *VertexError) error {
		if ctx.Err() != nil {
			return context.Cause(ctx) // interrupted, not failed: nothing to report
		}
		ve.Experiment, ve.Stage, ve.TaskID, ve.Turn, ve.Range = r.ep.Name, sp.Addr, taskID, int(in.turn), sp.Decl.DeclRange
		r.mu.Lock()
		r.errs = append(r.errs, ve)
		r.mu.Unlock()
		r.count(sp.Addr, EventFailed)
		r.emit(Event{Kind: EventFailed, Experiment: r.ep.Name, Stage: sp.Addr, TaskID: taskID, Turn: int(in.turn), Err: ve})
		return ve
	}

	// Evaluate the body with the task and the upstream results.
	task := r.tasks.Values[in.unit]
	depResult := func(d int) cty.Value { return r.dep(id, in, d).result }
	cfg, diags := evalAttrs(sp.attrs, func() *hcl.EvalContext {
		ctx := r.base.NewChild()
		ctx.Variables = stageVars(r.ep, func(dp *StagePlan) cty.Value { return depResult(dp.Index) }, sp.Deps)
		ctx.Variables["task"] = task
		return ctx
	}, func(f *fastRef) (cty.Value, hcl.Diagnostics) { return f.eval(task, depResult) })
	for _, d := range sp.Deps { // drop upstream results nobody needs any more
		up := r.dep(id, in, d)
		if up.refs.Add(-1) == 0 && r.prov[d] < 0 && !isRower(r.ep.Stages[d]) {
			up.result = cty.NilVal
		}
	}
	if diags.HasErrors() {
		return fail(&VertexError{Diags: diags})
	}

	input := stages.Input{
		Config:  sp.unmarked(cfg),
		Addr:    sp.Addr + "[" + strconv.Quote(taskID) + "]",
		Offline: r.opts.Offline,
		Store:   subStore{r.opts.Cache},
		Notes: func(note string) {
			r.emit(Event{Kind: EventNote, Experiment: r.ep.Name, Stage: sp.Addr, TaskID: taskID, Note: note})
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
		in.key = string(key)
		val, how, err = r.resolve(ctx, sp, key, cfg, input, taskID)
	}
	if err == errWouldRun {
		r.count(sp.Addr, EventWouldRun)
		r.emit(Event{Kind: EventWouldRun, Experiment: r.ep.Name, Stage: sp.Addr, TaskID: taskID, Key: in.key})
		return err
	}
	if err != nil {
		return fail(&VertexError{Err: err})
	}
	in.result, in.how = val, how
	if !sp.Ephemeral {
		r.count(sp.Addr, how)
	}
	if err := r.addCalls(in, sp, val); err != nil {
		return fail(&VertexError{Err: err})
	}
	if rower, ok := sp.Runner.(stages.TurnRower); ok {
		r.addRow(id, in, sp, rower)
	}
	return nil
}

// dep returns the instance of stage d in the same unit as id. Units are
// laid out contiguously, one vertex per stage in stage order.
func (r *run) dep(id dag.ID, in *inst, d int) *inst {
	return &r.insts[int(id)-int(in.stage)+d]
}

func isRower(sp *StagePlan) bool {
	_, ok := sp.Runner.(stages.TurnRower)
	return ok
}

func (r *run) addRow(id dag.ID, in *inst, sp *StagePlan, rower stages.TurnRower) {
	row := rower.TurnRow(in.result)
	row.Experiment = r.ep.Name
	row.TaskID = r.tasks.IDs[in.unit]
	row.TaskIndex = in.unit
	row.Turn = in.turn
	row.Excluded = r.isExcluded(row.TaskID)
	if p := r.prov[sp.Index]; p >= 0 {
		up := r.dep(id, in, p)
		row.ExecKey = up.key
	}
	r.mu.Lock()
	r.rows = append(r.rows, row)
	r.mu.Unlock()
	in.result = cty.NilVal
}

// addCalls collects the model calls a result records, for calls.parquet.
func (r *run) addCalls(in *inst, sp *StagePlan, val cty.Value) error {
	calls, err := schemas.CallsOf(val)
	if err != nil || len(calls) == 0 {
		return err
	}
	for i := range calls {
		c := &calls[i]
		c.Experiment, c.TaskID, c.Turn, c.Stage, c.VertexKey = r.ep.Name, r.tasks.IDs[in.unit], in.turn, sp.Addr, in.key
	}
	r.mu.Lock()
	r.calls = append(r.calls, callGroup{unit: in.unit, turn: in.turn, stage: int32(sp.Index), calls: calls})
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
func (r *run) resolve(ctx context.Context, sp *StagePlan, key cachekey.Key, cfg cty.Value, input stages.Input, taskID string) (cty.Value, EventKind, error) {
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
	if e, ok := r.opts.Cache.Get(digest); ok {
		if v, err := cachekey.Decode(e.Data, sp.Runner.Output()); err == nil {
			f.val = v
			r.emit(Event{Kind: EventCached, Experiment: r.ep.Name, Stage: sp.Addr, TaskID: taskID, Key: string(key)})
			return v, EventCached, nil
		}
	}
	if r.opts.DryRun {
		f.err = errWouldRun
		return cty.NilVal, EventWouldRun, errWouldRun
	}
	r.emit(Event{Kind: EventStarted, Experiment: r.ep.Name, Stage: sp.Addr, TaskID: taskID, Key: string(key)})
	start := time.Now()
	v, err := sp.Runner.Run(ctx, input)
	if err == nil {
		v, err = conform(sp, v)
	}
	if err != nil {
		f.err = err
		return cty.NilVal, EventFailed, err
	}
	if err := r.store(sp, key, cfg, v); err != nil {
		f.err = err
		return cty.NilVal, EventFailed, err
	}
	f.val = v
	r.emit(Event{Kind: EventRan, Experiment: r.ep.Name, Stage: sp.Addr, TaskID: taskID, Key: string(key), Duration: time.Since(start)})
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

// store writes the result and the explain record of its key.
func (r *run) store(sp *StagePlan, key cachekey.Key, cfg cty.Value, v cty.Value) error {
	data, err := cachekey.Encode(v)
	if err != nil {
		return fmt.Errorf("encoding result: %w", err)
	}
	var explain [32]byte
	if _, rec, err := stageKeyRecord(sp, cfg, true); err == nil && rec != nil {
		if b, err := json.Marshal(rec); err == nil {
			if d, err := r.opts.Cache.PutBlob(b); err == nil {
				explain = d
			}
		}
	}
	digest, _ := key.Digest()
	if err := r.opts.Cache.Put(digest, sp.Runner.CacheType(), data, explain); err != nil {
		return fmt.Errorf("storing result: %w", err)
	}
	return nil
}
