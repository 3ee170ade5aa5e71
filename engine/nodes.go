package engine

import (
	"sync"
	"sync/atomic"

	"github.com/ccw-dev/ccw/engine/dag"
	"github.com/zclconf/go-cty/cty"
)

// node is one vertex of a run: a stage instance, or the gate of a turn
// (sp == nil) that decides whether the task's next turn exists.
type node struct {
	sp    *StagePlan
	unit  int32 // task index
	combo int16 // index into ExperimentPlan.Combinations; -1: shared by all
	turn  int16
	how   EventKind
	na    bool // when was false: no result
	// refs counts the readers of result that have not read it yet (the
	// stages that need it, a gate pinning it for the next turn); when it
	// reaches zero after the node is done, the result is dropped.
	refs    atomic.Int32
	done    atomic.Bool
	dropped atomic.Bool
	keep    bool // never drop (a shared instance other combinations may still read)
	hasKey  bool
	key     [32]byte
	result  cty.Value
	// deps are the nodes read: for a stage aligned with sp.Deps, for a
	// gate the stop rule's; prev for a stage aligned with sp.PrevDeps, for
	// a gate every stage of its turn (those the next turn can read are
	// pinned).
	deps, prev []dag.ID
}

// release drops one reader of n's result.
func (n *node) release() {
	if n.refs.Add(-1) == 0 && n.done.Load() {
		n.drop()
	}
}

// finish marks n done after its result was set; nobody waiting means the
// result is dropped at once.
func (n *node) finish() {
	n.done.Store(true)
	if n.refs.Load() == 0 {
		n.drop()
	}
}

func (n *node) drop() {
	if !n.keep && n.dropped.CompareAndSwap(false, true) {
		n.result = cty.NilVal
	}
}

const chunkBits = 12

// nodeTable stores nodes by vertex ID in fixed chunks, so that a node's
// address never changes while the graph grows and readers need no lock.
type nodeTable struct {
	mu     sync.Mutex
	chunks []atomic.Pointer[[1 << chunkBits]node]
	n      int
}

func newNodeTable() *nodeTable {
	return &nodeTable{chunks: make([]atomic.Pointer[[1 << chunkBits]node], 1<<16)}
}

// at returns the node of id.
func (t *nodeTable) at(id dag.ID) *node {
	return &t.chunks[int(id)>>chunkBits].Load()[int(id)&(1<<chunkBits-1)]
}

// next returns the node for the next vertex ID. Called with the run's
// grow lock held, which also orders it with Walker.AddIn.
func (t *nodeTable) next() (dag.ID, *node) {
	id := t.n
	c := id >> chunkBits
	if c >= len(t.chunks) {
		panic("engine: more than 268 million vertices")
	}
	if t.chunks[c].Load() == nil {
		t.chunks[c].Store(new([1 << chunkBits]node))
	}
	t.n++
	return dag.ID(id), &t.chunks[c].Load()[id&(1<<chunkBits-1)]
}
