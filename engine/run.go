package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ccw-dev/ccw/engine/cache"
	"github.com/ccw-dev/ccw/engine/dag"
	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// RunOptions configure one run.
type RunOptions struct {
	// Experiment to run; empty means the only one.
	Experiment string
	// Out overrides the experiment's output directory.
	Out string
	// Cache is the store results are read from and written to.
	Cache *cache.Store
	// Parallelism bounds the vertices in flight (default 256). Stages
	// bound their own resources further (sandbox slots, model concurrency).
	Parallelism int
	// Offline forbids network access (task downloads, model calls).
	Offline bool
	// DryRun computes keys and looks them up, but runs nothing and writes
	// nothing: what `ccw plan` shows.
	DryRun bool
	// Events receives progress; it is called concurrently.
	Events func(Event)
	// Version is the ccw version recorded in run.json.
	Version string
}

// StageCount counts what happened to the instances of one stage.
type StageCount struct {
	Total, Cached, Shared, Ran, WouldRun, Failed, Blocked int
}

// Result is what a run did.
type Result struct {
	Experiment *ExperimentPlan
	OutDir     string
	Tasks      *stages.TaskSet
	Summary    schemas.RunSummary
	PerStage   map[string]*StageCount
	Errors     []*VertexError
	Rows       []schemas.Turn
	Calls      []schemas.Call
	Started    time.Time
	Wall       time.Duration
	// Cause is set when the run was cancelled.
	Cause error
}

// errWouldRun marks a vertex that plan mode would have run.
var errWouldRun = errors.New("not cached")

type inst struct {
	unit   int32
	stage  int32
	turn   int32
	how    EventKind
	refs   atomic.Int32
	key    string
	result cty.Value
}

type flight struct {
	done chan struct{}
	val  cty.Value
	err  error
}

type run struct {
	plan  *Plan
	ep    *ExperimentPlan
	opts  RunOptions
	tasks *stages.TaskSet
	base  *hcl.EvalContext
	insts []inst
	prov  []int // per stage: index of the dep supplying row provenance, or -1

	flightsMu sync.Mutex
	flights   map[string]*flight

	mu     sync.Mutex
	counts map[string]*StageCount
	errs   []*VertexError
	rows   []schemas.Turn
	calls  []callGroup
}

// callGroup is the model calls of one vertex, kept in order.
type callGroup struct {
	unit, turn, stage int32
	calls             []schemas.Call
}

// Run executes an experiment of plan. The returned error is for failures
// before the walk (tasks that cannot load, an unwritable output); failures
// of individual stages are in Result.Errors.
func Run(ctx context.Context, plan *Plan, opts RunOptions) (*Result, error) {
	ep, diags := plan.Experiment(opts.Experiment)
	if diags.HasErrors() {
		return nil, diags
	}
	if ep.Tasks == nil {
		return nil, fmt.Errorf("experiment %q has no usable tasks block", ep.Name)
	}
	if opts.Cache == nil {
		return nil, errors.New("engine: no cache store")
	}
	if opts.Parallelism <= 0 {
		opts.Parallelism = 256
	}
	res := &Result{Experiment: ep, Started: time.Now(), PerStage: map[string]*StageCount{}}
	res.OutDir = ep.Output
	if opts.Out != "" {
		res.OutDir = opts.Out
	}

	tasks, err := plan.Set.Tasks.Load(ctx, ep.Tasks.Config, opts.Offline)
	if err != nil {
		return nil, &VertexError{Experiment: ep.Name, Stage: "tasks." + ep.Tasks.Name, TaskID: "-", Range: ep.Tasks.Decl.DeclRange, Err: err}
	}
	res.Tasks = tasks

	r := &run{plan: plan, ep: ep, opts: opts, tasks: tasks, flights: map[string]*flight{}, counts: res.PerStage}
	r.base = plan.Scope.EvalContext().NewChild()
	r.base.Variables = plan.resourceVars
	r.prov = provenanceDeps(ep)
	w := dag.NewWalker(opts.Parallelism, r.visit)
	r.instantiate(w)
	sum := w.Run(ctx)
	res.Wall = time.Since(res.Started)
	res.Cause = sum.Cause
	r.collect(res)
	res.Summary = r.summary(sum)
	if opts.DryRun {
		return res, nil
	}
	return res, r.writeOutputs(res)
}

// instantiate adds one vertex per (task, stage) to w. A task's vertices
// are contiguous, in stage order (see dep), and share the task's index as
// priority, so a task runs to its end before later tasks start.
func (r *run) instantiate(w *dag.Walker) {
	n, ns := len(r.tasks.IDs), len(r.ep.Stages)
	r.insts = make([]inst, n*ns)
	ids := make([]dag.ID, ns)
	per := map[string]int{}
	total := 0
	for _, sp := range r.ep.Stages {
		r.counts[sp.Addr] = &StageCount{Total: n}
		if !sp.Ephemeral { // ephemeral stages report no events
			per[sp.Addr] = n
			total += n
		}
	}
	for u := 0; u < n; u++ {
		for s, sp := range r.ep.Stages {
			deps := make([]dag.ID, len(sp.Deps))
			for i, d := range sp.Deps {
				deps[i] = ids[d]
			}
			ids[s] = w.Add(uint64(u), deps...)
			in := &r.insts[ids[s]]
			in.unit, in.stage = int32(u), int32(s)
			in.refs.Store(int32(sp.users))
		}
	}
	r.emit(Event{Kind: EventPlanned, Experiment: r.ep.Name, Total: total, PerStage: per})
}

// collect puts what the walk produced into res, in a deterministic order.
func (r *run) collect(res *Result) {
	for _, sp := range r.ep.Stages {
		c := r.counts[sp.Addr]
		c.Blocked = c.Total - c.Cached - c.Shared - c.Ran - c.WouldRun - c.Failed
	}
	res.Errors = r.errs
	sort.Slice(r.rows, func(i, j int) bool {
		a, b := r.rows[i], r.rows[j]
		if a.TaskIndex != b.TaskIndex {
			return a.TaskIndex < b.TaskIndex
		}
		return a.Turn < b.Turn
	})
	res.Rows = r.rows
	sort.Slice(r.calls, func(i, j int) bool {
		a, b := r.calls[i], r.calls[j]
		if a.unit != b.unit {
			return a.unit < b.unit
		}
		if a.turn != b.turn {
			return a.turn < b.turn
		}
		return a.stage < b.stage
	})
	for _, g := range r.calls {
		res.Calls = append(res.Calls, g.calls...)
	}
}

// provenanceDeps finds, for every row-producing stage, the dependency that
// its provenance attribute references.
func provenanceDeps(ep *ExperimentPlan) []int {
	out := make([]int, len(ep.Stages))
	for i, sp := range ep.Stages {
		out[i] = -1
		rower, ok := sp.Runner.(stages.TurnRower)
		if !ok {
			continue
		}
		for _, a := range sp.attrs {
			if a.Name != rower.ProvenanceAttr() || a.Expr == nil {
				continue
			}
			for _, t := range a.Expr.Variables() {
				for _, d := range sp.Deps {
					dp := ep.Stages[d]
					if len(t) >= 2 && t.RootName() == dp.Runner.Kind() {
						if step, ok := t[1].(hcl.TraverseAttr); ok && step.Name == dp.Decl.Name {
							out[i] = d
						}
					}
				}
			}
		}
	}
	return out
}

func (r *run) emit(e Event) {
	if r.opts.Events != nil {
		r.opts.Events(e)
	}
}

func (r *run) count(stage string, how EventKind) {
	r.mu.Lock()
	c := r.counts[stage]
	switch how {
	case EventCached:
		c.Cached++
	case EventShared:
		c.Shared++
	case EventRan:
		c.Ran++
	case EventWouldRun:
		c.WouldRun++
	case EventFailed:
		c.Failed++
	}
	r.mu.Unlock()
}

func (r *run) summary(s dag.Summary) schemas.RunSummary {
	out := schemas.RunSummary{Vertices: len(r.insts), Failed: s.Failed, Skipped: s.Skipped, NotRun: s.NotRun, Statuses: map[string]int{}}
	for _, c := range r.counts {
		out.Cached += c.Cached + c.Shared
		out.Ran += c.Ran
		if r.opts.DryRun {
			out.Failed -= c.WouldRun
		}
	}
	for _, row := range r.rows {
		if !row.Excluded {
			out.Statuses[row.Status]++
		}
	}
	out.Complete = s.Failed == 0 && s.Skipped == 0 && s.NotRun == 0 && s.Cause == nil
	out.Stages = map[string]map[string]int{}
	for addr, c := range r.counts {
		out.Stages[addr] = map[string]int{"instances": c.Total, "cached": c.Cached + c.Shared, "ran": c.Ran, "failed": c.Failed, "blocked": c.Blocked}
	}
	return out
}

func hostInfo() map[string]any {
	return map[string]any{"go": runtime.Version(), "os": runtime.GOOS, "arch": runtime.GOARCH, "cpus": runtime.NumCPU()}
}

func (r *run) writeOutputs(res *Result) error {
	dir := res.OutDir
	if err := schemas.Turns.Write(filepath.Join(dir, "turns.parquet"), res.Rows); err != nil {
		return fmt.Errorf("writing results: %w", err)
	}
	if len(res.Calls) > 0 {
		if err := schemas.Calls.Write(filepath.Join(dir, "calls.parquet"), res.Calls); err != nil {
			return fmt.Errorf("writing model calls: %w", err)
		}
	}
	return schemas.WriteJSON(filepath.Join(dir, "run.json"), r.manifest(res))
}
