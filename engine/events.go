package engine

import (
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// EventKind says what happened to a vertex.
type EventKind int

// Event kinds.
const (
	EventPlanned  EventKind = iota // the walk is about to start; Total is set
	EventStarted                   // a stage started running (cache miss)
	EventCached                    // a result came from the cache
	EventShared                    // a result came from an identical vertex running at the same time
	EventRan                       // a stage ran and its result was stored
	EventWouldRun                  // plan mode: the result is not cached
	EventFailed                    // a stage failed (infrastructure); Err is set
	EventNote                      // a progress note from a running stage (a retry, ...)
)

var eventNames = [...]string{"planned", "started", "cached", "shared", "ran", "would-run", "failed", "note"}

func (k EventKind) String() string {
	if int(k) < len(eventNames) {
		return eventNames[k]
	}
	return fmt.Sprintf("event(%d)", int(k))
}

// Event reports progress. Handlers are called concurrently.
type Event struct {
	Kind       EventKind
	Experiment string
	Stage      string // kind.name
	TaskID     string
	Turn       int
	Key        string
	Duration   time.Duration
	Err        error
	Note       string
	// Total is the number of vertices known so far (EventPlanned).
	Total int
	// PerStage counts vertices per stage (EventPlanned).
	PerStage map[string]int
}

// VertexError is the failure of one stage instance: it names the instance
// and carries the stage's source range, so the CLI can show the HCL.
type VertexError struct {
	Experiment, Stage, TaskID string
	Turn                      int
	Range                     hcl.Range
	Diags                     hcl.Diagnostics
	Err                       error
}

// Addr names the instance.
func (e *VertexError) Addr() string {
	return fmt.Sprintf("experiment.%s %s [%s] turn %d", e.Experiment, e.Stage, e.TaskID, e.Turn)
}

func (e *VertexError) Error() string {
	if e.Err != nil {
		return e.Addr() + ": " + e.Err.Error()
	}
	return e.Addr() + ": " + e.Diags.Error()
}

func (e *VertexError) Unwrap() error { return e.Err }
