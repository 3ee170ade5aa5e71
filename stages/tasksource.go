package stages

import (
	"context"

	"github.com/zclconf/go-cty/cty"
)

// TaskSource decodes tasks blocks and loads the task sets they describe.
type TaskSource interface {
	// Schema lists the attributes of a tasks block.
	Schema() Schema
	// Type returns the object type of one task for an evaluated block, so
	// that `task.<field>` references are type-checked before anything
	// loads. It must not do I/O.
	Type(cfg cty.Value) (cty.Type, error)
	// Load reads (or downloads) and selects the tasks. offline forbids
	// network access.
	Load(ctx context.Context, cfg cty.Value, offline bool) (*TaskSet, error)
}

// TaskSet is a loaded, selected list of tasks.
type TaskSet struct {
	// Source and Split name the data set ("bigcodebench", "v0.1.0_hf").
	Source, Split string
	// Digest is the canonical digest of the whole data set before
	// selection, "sha256:<hex>".
	Digest string
	// Origin is the file or URL the tasks were read from.
	Origin string
	// Selection describes how tasks were selected (subset, ids, limit).
	Selection map[string]any
	// IDs and Values are the selected tasks in dataset order; each value is
	// an object of the type Type returned.
	IDs    []string
	Values []cty.Value
}
