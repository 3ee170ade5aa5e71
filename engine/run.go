package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/ccw-dev/ccw/engine/cache"
	"github.com/ccw-dev/ccw/engine/dag"
	"github.com/ccw-dev/ccw/engine/shard"
	"github.com/ccw-dev/ccw/engine/timing"
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
	// Cache is the store results are read from and written to: a local
	// directory or a shared bucket (cache.Backend).
	Cache cache.Backend
	// Parallelism bounds the vertices in flight per lane (default 256):
	// each resource a stage uses (a model endpoint, a sandbox) has its own
	// lane, so a slow endpoint never holds back the sandbox. Stages bound
	// their resources further (sandbox slots, model concurrency).
	Parallelism int
	// Offline forbids network access (task downloads, model calls).
	Offline bool
	// DryRun computes keys and looks them up, but runs nothing and writes
	// nothing: what `ccw plan` shows. Turns are unrolled as far as cached
	// results decide them.
	DryRun bool
	// Speculate, with DryRun, walks past what is not cached: an uncached
	// result is an unknown value of its type, so that the stages after it
	// are still evaluated; one whose when cannot be decided yet counts as
	// Maybe. A stop rule that cannot be decided ends the task's turns
	// (SpeculateStop: every such task solved) or unrolls the next turn
	// (SpeculateContinue: none solved). What `ccw plan --cost` bounds.
	Speculate Speculation
	// TurnBarrier holds every task's next turn until the current turn of
	// every task has ended: the original's schedule, for comparisons.
	TurnBarrier bool
	// Events receives progress; it is called concurrently.
	Events func(Event)
	// Version is the ccw version recorded in run.json.
	Version string
	// Shard restricts the run to the tasks of one shard (all their turns
	// and combinations); the zero value runs every task. The tables hold
	// the shard's rows (task_index stays the task's place in the whole
	// set), run.json says which shard it is, and without Out the results
	// go to the shard's own directory under the experiment's output
	// (shard-I-of-N). shard.Merge joins the shards.
	Shard shard.Spec
	// Timings is the history of execution times the run schedules by and
	// adds to (nil: none): every task's vertices get a priority by its
	// expected execution time, longest first, so that long tasks do not
	// start last and decide the wall time. Results do not depend on it.
	Timings *timing.Book
	// Estimate guesses a task's execution time when Timings has none (for
	// BigCodeBench: the import cost of its declared libraries); nil or a
	// zero estimate keeps the dataset order among such tasks.
	Estimate func(task cty.Value) time.Duration
}

// Speculation says how a speculative plan walks past uncached results.
type Speculation int

// Speculation modes.
const (
	SpeculateNone     Speculation = iota
	SpeculateStop                 // an undecidable stop rule stops
	SpeculateContinue             // an undecidable stop rule continues
)

// StageCount counts what happened to the instances of one stage.
type StageCount struct {
	Total, Cached, Shared, Ran, WouldRun, Failed, NotApplicable, Blocked int
	// Maybe counts, in a speculative plan, the instances whose when
	// condition depends on results not yet computed.
	Maybe int
	// Bound is the number of instances if no task stops early.
	Bound int
}

// Result is what a run did.
type Result struct {
	Experiment *ExperimentPlan
	OutDir     string
	Tasks      *stages.TaskSet
	Summary    schemas.RunSummary
	// PerStage counts by stage label (StagePlan.Label).
	PerStage map[string]*StageCount
	Errors   []*VertexError
	// Rows are the rows of turns.parquet in order, with their address and
	// outcome only (experiment, combination, stage, task, turn, status,
	// passed, excluded, exec_key): the whole rows are in the file.
	Rows  []schemas.Turn
	Calls []schemas.Call
	// Turns counts the (task, combination) pairs by the turn their turns
	// ended at; Undecided those whose next turn could not be decided
	// (a failed or, in plan mode, uncached stage).
	Turns     map[int]int
	Undecided int
	Started   time.Time
	Wall      time.Duration
	// Cause is set when the run was cancelled.
	Cause error
}

// errWouldRun marks a vertex that plan mode would have run.
var errWouldRun = errors.New("not cached")

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
	prio  []uint64 // per task: its vertices' walker priority
	units []int32  // the tasks this run takes (its shard), by index
	w     *dag.Walker
	nodes *nodeTable
	prov  map[*StagePlan]int // rower stage -> index of the dep supplying row provenance

	growMu  sync.Mutex
	growPer map[string]int       // instances per label added by the turn being unrolled
	shared  map[sharedKey]dag.ID // shared instances of later turns
	barrier *barrier

	flightsMu sync.Mutex
	flights   map[string]*flight

	walkErrs []dag.VertexError

	mu        sync.Mutex
	counts    map[string]*StageCount
	errs      []*VertexError
	rows      *rowStore
	calls     []callGroup
	ended     map[int]int
	decided   int
	gates     int
	taskIndex map[string]int
	// allCombos and comboNames are every combination's index and name:
	// where the row of a shared instance goes.
	allCombos  []int
	comboNames []string
}

type sharedKey struct {
	unit  int32
	turn  int16
	stage int16
}

// callGroup is the model calls of one vertex, kept in order.
type callGroup struct {
	combo, unit, turn, stage int
	calls                    []schemas.Call
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
	if !opts.Shard.Whole() {
		res.OutDir = filepath.Join(ep.Output, opts.Shard.Dir())
	}
	if opts.Out != "" {
		res.OutDir = opts.Out
	}

	if err := preflight(ctx, plan, ep, opts.Offline || opts.DryRun); err != nil {
		return nil, err
	}
	tasks, err := plan.Set.Tasks.Load(ctx, ep.Tasks.Config, opts.Offline)
	if err != nil {
		return nil, &VertexError{Instance: Address{Experiment: ep.Name, Stage: "tasks." + ep.Tasks.Name}, Range: ep.Tasks.Decl.DeclRange, Err: err}
	}
	res.Tasks = tasks

	r := &run{plan: plan, ep: ep, opts: opts, tasks: tasks, flights: map[string]*flight{}, counts: res.PerStage,
		nodes: newNodeTable(), shared: map[sharedKey]dag.ID{}, ended: map[int]int{}}
	r.prov = provenanceDeps(ep)
	for i, c := range ep.Combinations {
		r.allCombos, r.comboNames = append(r.allCombos, i), append(r.comboNames, c.Name)
	}
	if r.rows, err = newRowStore(res.OutDir, !opts.DryRun); err != nil {
		return nil, err
	}
	defer r.rows.close()
	if opts.TurnBarrier {
		r.barrier = &barrier{turns: ep.Turns, waiting: map[int]int{}, held: map[int][]*node{}}
	}
	// Lane 0 is for what only computes (expressions, bookkeeping stages,
	// turn gates): a few workers per CPU keep it busy without contention.
	// Each resource has its own lane; stages whose resource is only known
	// per instance share one more.
	r.w = dag.NewWalker(max(8, 4*runtime.GOMAXPROCS(0)), r.visit)
	lanes := map[stages.Resource]dag.Lane{}
	var unknown *dag.Lane
	for _, sp := range ep.AllStages() {
		switch {
		case sp.resource != nil:
			if _, ok := lanes[sp.resource]; !ok {
				lanes[sp.resource] = r.w.AddLane(opts.Parallelism)
			}
			sp.lane = lanes[sp.resource]
		case sp.blocking:
			if unknown == nil {
				l := r.w.AddLane(opts.Parallelism)
				unknown = &l
			}
			sp.lane = *unknown
		default:
			sp.lane = 0
		}
	}
	r.instantiate()
	sum := r.w.Run(ctx)
	res.Wall = time.Since(res.Started)
	res.Cause = sum.Cause
	r.walkErrs = sum.Errors
	r.collect(res)
	res.Summary = r.summary(sum, res)
	if opts.DryRun {
		return res, nil
	}
	return res, r.writeOutputs(res)
}

// preflight asks every resource the experiment's stages use whether it
// works at all, once, before anything is scheduled (plan mode uses no
// network, like offline).
func preflight(ctx context.Context, plan *Plan, ep *ExperimentPlan, offline bool) error {
	seen := map[stages.Resource]bool{}
	for _, sp := range ep.AllStages() {
		r := sp.resource
		if r == nil || seen[r] {
			continue
		}
		seen[r] = true
		pf, ok := r.(stages.Preflighter)
		if !ok {
			continue
		}
		if err := pf.Preflight(ctx, offline); err != nil {
			ve := &VertexError{Instance: Address{Experiment: ep.Name, Stage: sp.Addr}, Range: sp.Decl.DeclRange, Err: err}
			for _, rp := range plan.Resources {
				if rp.Resource == r {
					ve.Instance.Stage, ve.Range = rp.Addr, rp.Decl.DeclRange
				}
			}
			return ve
		}
	}
	return nil
}

// instantiate adds turn 0 of every task in every combination. A task's
// vertices share the task's rank as priority (priorities: longest
// expected first, else dataset order), so that a started task runs its
// turns before later tasks start theirs.
func (r *run) instantiate() {
	r.growMu.Lock()
	defer r.growMu.Unlock()
	r.prio = r.priorities()
	for _, sp := range r.ep.AllStages() {
		r.counts[sp.Label] = &StageCount{}
	}
	total := 0
	for u, id := range r.tasks.IDs {
		if r.opts.Shard.Has(id) {
			r.units = append(r.units, int32(u))
			total += r.addTurn(int32(u), 0, nil)
		}
	}
	per := map[string]int{}
	bound := 0
	n := len(r.units)
	for _, sp := range r.ep.AllStages() {
		c := r.counts[sp.Label]
		c.Bound = n * r.copies(sp)
		if sp.InTurn {
			c.Bound *= r.ep.Turns
		}
		if !sp.Ephemeral { // ephemeral stages report no events
			per[sp.Label] = c.Total
			bound += c.Bound
		}
	}
	var combos []string
	for _, c := range r.ep.Combinations {
		combos = append(combos, c.Name)
	}
	turns := 0
	if r.ep.HasTurns() {
		turns = r.ep.Turns
	}
	r.emit(Event{Kind: EventPlanned, Addr: Address{Experiment: r.ep.Name}, Total: total, Bound: bound, PerStage: per,
		Tasks: n, Combinations: combos, Turns: turns})
}

// copies is how many instances of sp one task has at one turn.
func (r *run) copies(sp *StagePlan) int {
	if sp.PerCombination {
		return len(r.ep.Combinations)
	}
	return 1
}

// addTurn adds turn t of task u in every combination (t == 0), or in the
// combination of the gate g that unrolls it, and the gates that decide
// the next turn. It returns how many stage instances it added (without
// ephemeral ones). Called with growMu held.
func (r *run) addTurn(u int32, t int, g *node) int {
	list := r.ep.Stages
	if t > 0 {
		list = r.ep.TurnStages
	}
	combos := []int16{}
	if g != nil {
		combos = append(combos, g.combo)
	} else {
		for i := range r.ep.Combinations {
			combos = append(combos, int16(i))
		}
	}
	added := 0
	var firstIDs []dag.ID // the shared instances of this turn, from the first combination
	var holds []*node
	for ci, c := range combos {
		ids := make([]dag.ID, len(list))
		for i, sp := range list {
			if !sp.PerCombination {
				if ci > 0 { // turn 0: made for the first combination
					ids[i] = firstIDs[i]
					continue
				}
				if t > 0 && len(r.ep.Combinations) > 1 {
					if id, ok := r.shared[sharedKey{u, int16(t), int16(i)}]; ok {
						ids[i] = id // made when another combination reached this turn
						continue
					}
				}
			}
			id, n := r.nodes.next()
			*n = node{sp: sp, unit: u, combo: c, turn: int16(t)}
			if !sp.PerCombination {
				n.combo = -1
				if t > 0 && len(r.ep.Combinations) > 1 {
					n.keep = true // another combination's turn may read it later
					r.shared[sharedKey{u, int16(t), int16(i)}] = id
				}
			}
			n.refs.Store(1) // held until this turn is wired up
			holds = append(holds, n)
			deps := make([]dag.ID, 0, len(sp.Deps)+len(sp.PrevDeps))
			for _, d := range sp.Deps {
				deps = append(deps, ids[d])
			}
			n.deps = deps
			for _, pd := range sp.PrevDeps {
				pi := pd.later
				if t == 1 {
					pi = pd.first
				}
				n.prev = append(n.prev, g.prev[pi])
			}
			for _, d := range n.deps {
				r.nodes.at(d).refs.Add(1)
			}
			for _, d := range n.prev {
				r.nodes.at(d).refs.Add(1)
			}
			wdeps := append(append([]dag.ID(nil), n.deps...), n.prev...)
			if got := r.w.AddIn(sp.lane, r.prio[u], wdeps...); got != id {
				panic(fmt.Sprintf("engine: vertex ids out of step (%d, %d)", got, id))
			}
			ids[i] = id
			r.counts[sp.Label].Total++
			if !sp.Ephemeral {
				added++
				if r.growPer != nil {
					r.growPer[sp.Label]++
				}
			}
		}
		if ci == 0 {
			firstIDs = ids
		}
		if r.ep.HasTurns() && t < r.ep.Turns {
			r.addGate(u, c, t, ids)
		}
	}
	for _, n := range holds {
		n.release()
	}
	return added
}

// addGate adds the gate of turn t of (u, c): it runs once the stages the
// stop rule reads are done, and pins every stage the next turn reads with
// prev until it has decided.
func (r *run) addGate(u int32, c int16, t int, ids []dag.ID) {
	list := r.ep.Stages
	var untilDeps []int
	if r.ep.until != nil {
		untilDeps = r.ep.until.first
	}
	if t > 0 {
		list = r.ep.TurnStages
		if r.ep.until != nil {
			untilDeps = r.ep.until.later
		}
	}
	id, g := r.nodes.next()
	*g = node{unit: u, combo: c, turn: int16(t), prev: ids}
	for _, d := range untilDeps {
		g.deps = append(g.deps, ids[d])
		r.nodes.at(ids[d]).refs.Add(1)
	}
	for i, sp := range list {
		if sp.prevUsers > 0 {
			r.nodes.at(ids[i]).refs.Add(1)
		}
	}
	if got := r.w.AddIn(0, r.prio[u], g.deps...); got != id {
		panic(fmt.Sprintf("engine: vertex ids out of step (%d, %d)", got, id))
	}
	r.mu.Lock()
	r.gates++
	r.mu.Unlock()
	if r.barrier != nil && t == 0 {
		r.barrier.add()
	}
}

// unpin releases the pins of gate g on its turn's stages.
func (r *run) unpin(g *node) {
	list := r.ep.Stages
	if g.turn > 0 {
		list = r.ep.TurnStages
	}
	for i, sp := range list {
		if sp.prevUsers > 0 {
			r.nodes.at(g.prev[i]).release()
		}
	}
}

// collect puts what the walk produced into res, in a deterministic order:
// rows and calls sorted by their whole address.
func (r *run) collect(res *Result) {
	for _, c := range r.counts {
		c.Blocked = c.Total - c.Cached - c.Shared - c.Ran - c.WouldRun - c.Failed - c.NotApplicable - c.Maybe
	}
	res.Errors = r.errs
	for _, we := range r.walkErrs {
		// A visit that did not report itself: a panic the walker caught.
		var ve *VertexError
		if errors.As(we.Err, &ve) || errors.Is(we.Err, errWouldRun) {
			continue
		}
		n := r.nodes.at(we.ID)
		ve = &VertexError{Instance: r.address(n), Err: we.Err}
		if n.sp != nil {
			ve.Range = n.sp.Decl.DeclRange
		}
		res.Errors = append(res.Errors, ve)
	}
	r.rows.sort()
	res.Rows = r.rows.slimRows()
	slices.SortFunc(r.calls, func(a, b callGroup) int {
		switch {
		case a.combo != b.combo:
			return a.combo - b.combo
		case a.unit != b.unit:
			return a.unit - b.unit
		case a.turn != b.turn:
			return a.turn - b.turn
		}
		return a.stage - b.stage
	})
	for _, g := range r.calls {
		res.Calls = append(res.Calls, g.calls...)
	}
	res.Turns = r.ended
	res.Undecided = r.gates - r.decided
}

// provenanceDeps finds, for every row-producing stage, the dependency that
// its provenance attribute references.
func provenanceDeps(ep *ExperimentPlan) map[*StagePlan]int {
	out := map[*StagePlan]int{}
	for _, sp := range ep.AllStages() {
		rower, ok := sp.Runner.(stages.TurnRower)
		if !ok {
			continue
		}
		out[sp] = -1
		list := ep.Stages
		if sp.InTurn {
			list = ep.TurnStages
		}
		for _, a := range sp.attrs {
			if a.Name != rower.ProvenanceAttr() || a.Expr == nil {
				continue
			}
			for _, t := range a.Expr.Variables() {
				for i, d := range sp.Deps {
					dp := list[d]
					if len(t) >= 2 && t.RootName() == dp.Runner.Kind() {
						if step, ok := t[1].(hcl.TraverseAttr); ok && step.Name == dp.Decl.Name {
							out[sp] = i
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

func (r *run) count(sp *StagePlan, how EventKind) {
	r.mu.Lock()
	c := r.counts[sp.Label]
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
	case EventNotApplicable:
		c.NotApplicable++
	case eventMaybe:
		c.Maybe++
	}
	r.mu.Unlock()
}

func (r *run) summary(s dag.Summary, res *Result) schemas.RunSummary {
	out := schemas.RunSummary{Vertices: r.w.Len(), Failed: s.Failed, Skipped: s.Skipped, NotRun: s.NotRun, Statuses: map[string]int{}}
	for _, c := range r.counts {
		out.Cached += c.Cached + c.Shared
		out.Ran += c.Ran
		if r.opts.DryRun {
			out.Failed -= c.WouldRun
		}
	}
	for _, row := range res.Rows {
		if !row.Excluded {
			out.Statuses[row.Status]++
		}
	}
	out.Complete = s.Failed == 0 && s.Skipped == 0 && s.NotRun == 0 && s.Cause == nil
	out.Stages = map[string]map[string]int{}
	for label, c := range r.counts {
		out.Stages[label] = map[string]int{"instances": c.Total, "cached": c.Cached + c.Shared, "ran": c.Ran, "failed": c.Failed,
			"blocked": c.Blocked, "not_applicable": c.NotApplicable}
	}
	return out
}

// unitIDs are the ids of the tasks this run takes, in order.
func (r *run) unitIDs() []string {
	out := make([]string, len(r.units))
	for i, u := range r.units {
		out[i] = r.tasks.IDs[u]
	}
	return out
}

func hostInfo() map[string]any {
	return map[string]any{"go": runtime.Version(), "os": runtime.GOOS, "arch": runtime.GOARCH, "cpus": runtime.NumCPU()}
}

func (r *run) writeOutputs(res *Result) error {
	dir := res.OutDir
	if err := r.rows.write(filepath.Join(dir, "turns.parquet")); err != nil {
		return fmt.Errorf("writing results: %w", err)
	}
	if len(res.Calls) > 0 {
		if err := schemas.Calls.Write(filepath.Join(dir, "calls.parquet"), res.Calls); err != nil {
			return fmt.Errorf("writing model calls: %w", err)
		}
	}
	m := r.manifest(res)
	if err := r.writeMetrics(res, m); err != nil {
		return err
	}
	return schemas.WriteJSON(filepath.Join(dir, "run.json"), m)
}

// writeMetrics writes metrics.parquet for a run with combinations, over
// the rows of the score stage of the later turns (or the only one).
func (r *run) writeMetrics(res *Result, m *schemas.Run) error {
	path := filepath.Join(res.OutDir, "metrics.parquet")
	os.Remove(path) // never leave a stale table beside new rows
	if r.plan.Set.Metrics == nil || !r.ep.Named() || len(res.Rows) == 0 {
		return nil
	}
	stage := ""
	for _, sp := range r.ep.AllStages() {
		if _, ok := sp.Runner.(stages.TurnRower); ok {
			stage = sp.Addr // the last one: the turn template's score, when there are turns
		}
	}
	run := stages.MetricsRun{Experiment: r.ep.Name, Turns: r.ep.Turns, Stage: stage, Tasks: r.unitIDs(), Options: r.ep.Metrics}
	for _, c := range r.ep.Combinations {
		run.Combinations = append(run.Combinations, schemas.RunCombination{Name: c.Name, Label: c.Label})
	}
	ms, err := r.plan.Set.Metrics(res.Rows, run, &m.Experiment)
	if err != nil {
		return fmt.Errorf("computing metrics (a bug in ccw or the protocol's score stages): %w", err)
	}
	for i, c := range m.Experiment.Combinations {
		c.Attributes = jsonAttrs(r.ep.Combinations[i])
		m.Experiment.Combinations[i] = c
	}
	if err := schemas.Metrics.Write(path, ms); err != nil {
		return fmt.Errorf("writing metrics: %w", err)
	}
	m.Tables["metrics.parquet"] = schemas.MetricsVersion
	return nil
}
