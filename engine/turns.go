package engine

import (
	"context"
	"fmt"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// visitGate decides, after turn t of a task in one combination, whether
// turn t+1 exists: not when the stop rule holds or the budget is spent.
// Otherwise it adds the next turn's vertices, which read this turn's
// results through prev; the gate's pins kept those alive until now.
func (r *run) visitGate(ctx context.Context, g *node) error {
	t := int(g.turn)
	stop := t >= r.ep.Turns
	if !stop && r.ep.until != nil {
		v, err := r.evalUntil(g)
		if err != nil {
			r.unpin(g)
			addr := r.address(g)
			ve := &VertexError{Instance: addr, Range: r.ep.until.expr.Range(), Err: err}
			if diags, ok := err.(hcl.Diagnostics); ok {
				ve.Err, ve.Diags = nil, diags
			}
			r.mu.Lock()
			r.errs = append(r.errs, ve)
			r.mu.Unlock()
			r.emit(Event{Kind: EventFailed, Addr: addr, Err: ve})
			return ve
		}
		stop = v
	}
	if stop {
		r.endTurns(g, t)
		return nil
	}
	if r.barrier != nil {
		if ready := r.barrier.hold(t, g); ready != nil {
			for _, h := range ready {
				r.unroll(h)
			}
		}
		return nil
	}
	r.unroll(g)
	return nil
}

// unroll adds turn t+1 after gate g of turn t.
func (r *run) unroll(g *node) {
	r.growMu.Lock()
	r.growPer = map[string]int{}
	added := r.addTurn(g.unit, int(g.turn)+1, g)
	per := r.growPer
	r.growPer = nil
	r.growMu.Unlock()
	r.unpin(g)
	r.mu.Lock()
	r.decided++
	if int(g.turn)+1 == r.ep.Turns {
		r.ended[r.ep.Turns]++ // the last turn has no gate: the budget ends it
	}
	r.mu.Unlock()
	r.emit(Event{Kind: EventGrew, Addr: r.address(g), Total: added, PerStage: per})
}

// endTurns records that a task's turns ended at turn t in g's combination.
func (r *run) endTurns(g *node, t int) {
	r.unpin(g)
	r.mu.Lock()
	r.decided++
	r.ended[t]++
	r.mu.Unlock()
	if r.barrier != nil {
		for _, h := range r.barrier.drop(t) {
			r.unroll(h)
		}
	}
	r.emit(Event{Kind: EventTurnEnded, Addr: r.address(g)})
}

// evalUntil evaluates the stop rule on the results of g's turn.
func (r *run) evalUntil(g *node) (bool, error) {
	list, idx := r.ep.Stages, r.ep.until.first
	if g.turn > 0 {
		list, idx = r.ep.TurnStages, r.ep.until.later
	}
	ctx := r.ep.base.NewChild()
	combo := r.ep.Combinations[g.combo].Value
	byIndex := map[int]cty.Value{}
	for i, si := range idx {
		byIndex[si] = r.nodes.at(g.deps[i]).result
	}
	ctx.Variables = stageVars(list, func(sp *StagePlan) cty.Value { return byIndex[sp.Index] }, append([]int{}, idx...))
	ctx.Variables["task"] = r.tasks.Values[g.unit]
	ctx.Variables["combination"] = combo
	ctx.Variables["turn"] = turnValue(int(g.turn), r.ep.Turns)
	v, diags := r.ep.until.expr.Value(ctx)
	for _, d := range g.deps {
		r.nodes.at(d).release()
	}
	if diags.HasErrors() {
		return false, diags
	}
	if !v.IsWhollyKnown() && r.opts.Speculate != SpeculateNone {
		return r.opts.Speculate == SpeculateStop, nil // undecided: the bound asked for
	}
	b, err := convert.Convert(v, cty.Bool)
	if err != nil || b.IsNull() || !b.IsKnown() {
		return false, fmt.Errorf("the stop rule (until) must be true or false, got %s", v.GoString())
	}
	return b.True(), nil
}

// barrier holds every next turn until the current turn of every task has
// ended: the original's schedule (one turn of all tasks at a time).
type barrier struct {
	turns   int
	mu      sync.Mutex
	waiting map[int]int     // gates of turn t not yet decided
	held    map[int][]*node // gates of turn t that decided to continue
}

// add counts a gate of turn 0; the gates of later turns are counted when
// the turn before is released (before any of them can run).
func (b *barrier) add() {
	b.mu.Lock()
	b.waiting[0]++
	b.mu.Unlock()
}

// hold records g's decision to continue; when it was the last gate of its
// turn, it returns every held gate of that turn, to unroll now.
func (b *barrier) hold(t int, g *node) []*node {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.held[t] = append(b.held[t], g)
	return b.decide(t)
}

// drop records that a gate of turn t ended its task's turns.
func (b *barrier) drop(t int) []*node {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.decide(t)
}

func (b *barrier) decide(t int) []*node {
	b.waiting[t]--
	if b.waiting[t] > 0 {
		return nil
	}
	out := b.held[t]
	delete(b.held, t)
	if t+1 < b.turns {
		b.waiting[t+1] += len(out)
	}
	return out
}
