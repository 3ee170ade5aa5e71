package tasks

import (
	"context"
	"fmt"
)

// Load reads, verifies and selects the tasks cfg describes.
//
// Source "file" reads cfg.Path; its digest is checked only when cfg.Digest
// is set. Source "bigcodebench" reads cfg.Path if set, else a cached copy
// of the split, else downloads it (see fetchSplit) unless cfg.Offline; the
// records must match the split's pinned digest or cfg.Digest. A mismatch is
// a *DigestMismatchError.
//
// Tasks come in dataset order (by task number, whatever the file order);
// Set.Digest is the canonical digest of all records before selection.
func Load(ctx context.Context, cfg Config) (*Set, error) {
	cfg, err := cfg.normalized()
	if err != nil {
		return nil, err
	}
	set := &Set{
		Source: cfg.Source,
		Split:  cfg.Split,
		Subset: cfg.Subset,
		IDs:    append([]string(nil), cfg.IDs...),
		Limit:  cfg.Limit,
	}
	want, pinned := cfg.expectedDigest()
	var all []Task
	if cfg.Path != "" {
		if all, err = ReadFile(cfg.Path); err != nil {
			return nil, err
		}
		set.Origin = cfg.Path
		set.Digest = CanonicalDigest(all)
		if want != "" && set.Digest != want {
			return nil, &DigestMismatchError{What: cfg.Path, Split: cfg.Split, Expected: want, Actual: set.Digest, Pinned: pinned}
		}
	} else {
		f, err := fetchSplit(ctx, cfg, want, pinned)
		if err != nil {
			return nil, err
		}
		all, set.Digest, set.Origin, set.CachePath = f.tasks, f.digest, f.origin, f.path
	}
	set.Total = len(all)
	sortTasks(all)
	if set.Tasks, err = selectTasks(all, cfg.Subset, cfg.IDs, cfg.Limit); err != nil {
		return nil, fmt.Errorf("tasks: %s: %w", set.Origin, err)
	}
	return set, nil
}
