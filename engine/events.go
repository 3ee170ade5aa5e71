package engine

import (
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// EventKind says what happened to a vertex.
type EventKind int

// Event kinds.
const (
	EventPlanned       EventKind = iota // the walk is about to start; Total and Bound are set
	EventStarted                        // a stage started running (cache miss)
	EventCached                         // a result came from the cache
	EventShared                         // a result came from an identical vertex running at the same time
	EventRan                            // a stage ran and its result was stored
	EventWouldRun                       // plan mode: the result is not cached
	EventFailed                         // a stage failed (infrastructure); Err is set
	EventNote                           // a progress note from a running stage (a retry, ...)
	EventNotApplicable                  // a stage's when condition was false: no result, no failure
	EventGrew                           // the next turn of a task was unrolled; Total vertices were added
	EventTurnEnded                      // a task's turns ended in a combination (Addr.Turn is the last)
)

// eventMaybe counts a speculative instance whose when is undecided; it is
// reported as EventWouldRun with Maybe set.
const eventMaybe EventKind = -1

var eventNames = [...]string{"planned", "started", "cached", "shared", "ran", "would-run", "failed", "note", "not-applicable", "grew", "turns-ended"}

func (k EventKind) String() string {
	if k >= 0 && int(k) < len(eventNames) {
		return eventNames[k]
	}
	return fmt.Sprintf("event(%d)", int(k))
}

// Event reports progress. Handlers are called concurrently.
type Event struct {
	Kind EventKind
	// Addr names the instance (for EventPlanned only the experiment).
	Addr Address
	// Label is the stage's label in counts (execute.code, or
	// execute.code@t for the stages of later turns).
	Label    string
	Key      string
	Duration time.Duration
	Err      error
	Note     string
	// Total is the number of stage instances known when the walk starts
	// (EventPlanned), or added by a turn (EventGrew).
	Total int
	// Bound is the number of stage instances if no task stops early
	// (EventPlanned).
	Bound int
	// PerStage counts instances per stage label (EventPlanned, EventGrew).
	PerStage map[string]int
	// Tasks, Combinations and Turns describe the walk (EventPlanned): the
	// task count, the combination names, the turn budget (0 without turns).
	Tasks        int
	Combinations []string
	Turns        int
	// Maybe marks an EventWouldRun of a speculative plan whose when
	// condition is not decided yet.
	Maybe bool
	// Config is the evaluated configuration of an EventWouldRun whose
	// inputs are all known (plan mode), for estimates such as prompt sizes.
	Config cty.Value
	// TokensIn, TokensOut and CostUSD sum the model calls of a result that
	// was computed (EventRan).
	TokensIn, TokensOut int64
	CostUSD             float64
}

// VertexError is the failure of one stage instance: it names the instance
// and carries the stage's source range, so the CLI can show the HCL.
type VertexError struct {
	Instance Address
	Range    hcl.Range
	Diags    hcl.Diagnostics
	Err      error
}

// Addr names the instance.
func (e *VertexError) Addr() string { return e.Instance.String() }

func (e *VertexError) Error() string {
	if e.Err != nil {
		return e.Addr() + ": " + e.Err.Error()
	}
	return e.Addr() + ": " + e.Diags.Error()
}

func (e *VertexError) Unwrap() error { return e.Err }
