package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/ccw-dev/ccw/engine"
	"github.com/ccw-dev/ccw/engine/cache"
	"github.com/ccw-dev/ccw/engine/cachekey"
	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages/builtin"
	"github.com/zclconf/go-cty/cty"
)

type cacheDuCmd struct {
	cacheFlag
}

// ageBuckets are du's columns.
var ageBuckets = []struct {
	label string
	max   time.Duration
}{{"< 1 day", 24 * time.Hour}, {"< 1 week", 7 * 24 * time.Hour}, {"< 30 days", 30 * 24 * time.Hour}, {"older", 1 << 62}}

func (c *cacheDuCmd) Run(e *env) error {
	dir, err := c.localOnly("cache du")
	if err != nil {
		return err
	}
	store, err := cache.Open(dir, cache.Options{NoIndex: true})
	if err != nil {
		return err
	}
	defer store.Close()
	type row struct {
		entries int
		bytes   [4]int64
		total   int64
	}
	rows := map[string]*row{}
	explains := map[[32]byte]bool{}
	now := time.Now()
	err = store.Walk(func(en cache.EntryInfo) error {
		kind := kindOf(en.Type)
		r := rows[kind]
		if r == nil {
			r = &row{}
			rows[kind] = r
		}
		r.entries++
		for i, b := range ageBuckets {
			if now.Sub(en.Created) < b.max {
				r.bytes[i] += en.Disk
				break
			}
		}
		r.total += en.Disk
		if en.Explain != ([32]byte{}) {
			explains[en.Explain] = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Explain records are blobs no entry holds as its result.
	var explainBytes int64
	_ = store.WalkBlobs(func(b cache.BlobInfo) error {
		if explains[b.Digest] {
			explainBytes += b.Size
		}
		return nil
	})
	kinds := make([]string, 0, len(rows))
	for k := range rows {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool { return rows[kinds[i]].total > rows[kinds[j]].total })
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "stage kind\tentries\t")
	for _, b := range ageBuckets {
		fmt.Fprintf(tw, "%s\t", b.label)
	}
	fmt.Fprintln(tw, "total\t")
	var all row
	for _, k := range kinds {
		r := rows[k]
		fmt.Fprintf(tw, "%s\t%d\t", k, r.entries)
		for i, n := range r.bytes {
			fmt.Fprintf(tw, "%s\t", humanBytes(n))
			all.bytes[i] += n
		}
		fmt.Fprintf(tw, "%s\t\n", humanBytes(r.total))
		all.entries += r.entries
		all.total += r.total
	}
	fmt.Fprintf(tw, "all\t%d\t", all.entries)
	for _, n := range all.bytes {
		fmt.Fprintf(tw, "%s\t", humanBytes(n))
	}
	fmt.Fprintf(tw, "%s\t\n", humanBytes(all.total))
	tw.Flush()
	root := store.Root()
	fmt.Fprintf(e.stdout, "explain records %s · read index %s · datasets %s · cache %s\n",
		humanBytes(explainBytes), humanBytes(dirSize(filepath.Join(root, "index.v1"))), humanBytes(dirSize(filepath.Join(root, "datasets"))), root)
	fmt.Fprintln(e.stdout, "(model answers are the sub-results kind ccw.sub; ccw cache gc deletes what no run or pipeline file needs)")
	return nil
}

// versionSuffix is the version part of a cache type (.v1, .v2+digest).
var versionSuffix = regexp.MustCompile(`\.v[0-9]+(\+.*)?$`)

// kindOf names the stage kind of a versioned cache type: ccw.execute.v1
// is execute; ccw.sub (sub-results: model calls) stays as it is.
func kindOf(typ string) string {
	switch {
	case typ == "":
		return "(unreadable)"
	case typ == "ccw.sub":
		return "model calls (ccw.sub)"
	}
	t := strings.TrimPrefix(typ, "ccw.")
	if m := versionSuffix.FindStringIndex(t); m != nil {
		return t[:m[0]]
	}
	return t
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

type cacheGcCmd struct {
	cacheFlag
	Keep        []string `arg:"" optional:"" name:"keep" help:"Results directories (their run.json names the pipeline file and variables) and pipeline files whose entries to keep." type:"path"`
	Var         []string `name:"var" short:"v" help:"Set a variable of the pipeline files: --var name=value (repeatable)." placeholder:"NAME=VALUE"`
	YoungerThan string   `name:"younger-than" help:"Also keep everything written within this duration (e.g. 72h, 7d)." placeholder:"DURATION"`
	DryRun      bool     `name:"dry-run" help:"Say what would be deleted; delete nothing."`
}

func (c *cacheGcCmd) Run(e *env) error {
	if len(c.Keep) == 0 && c.YoungerThan == "" {
		return errors.New("cache gc: name the results directories or pipeline files whose entries to keep, or --younger-than DURATION (gc never empties the cache on its own)")
	}
	dir, err := c.localOnly("cache gc")
	if err != nil {
		return err
	}
	var since time.Time
	if c.YoungerThan != "" {
		d, err := parseAge(c.YoungerThan)
		if err != nil {
			return err
		}
		since = time.Now().Add(-d)
	}
	keep := map[[32]byte]bool{}
	for _, path := range c.Keep {
		n, err := c.mark(e, path, keep)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "keeping %d entries needed by %s\n", n, path)
	}
	rep, err := cache.Collect(dir, cache.GCOptions{Keep: func(en cache.EntryInfo) bool { return keep[en.Key] }, Since: since, DryRun: c.DryRun})
	if err != nil {
		return err
	}
	verb := "deleted"
	if c.DryRun {
		verb = "would delete"
	}
	fmt.Fprintf(e.stdout, "%s %d of %d entries and %d of %d blobs: %s of %s; %d temporary file(s); read index (%s, rebuilt on use)\n",
		verb, rep.EntriesFreed, rep.Entries, rep.BlobsFreed, rep.Blobs, humanBytes(rep.BytesFreed), humanBytes(rep.Bytes), rep.TempFiles, humanBytes(rep.IndexBytes))
	return nil
}

// parseAge reads a Go duration or a number of days ("7d").
func parseAge(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(d, 64)
		if err == nil && n >= 0 {
			return time.Duration(n * 24 * float64(time.Hour)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("--younger-than %q: want a duration such as 72h or 7d", s)
	}
	return d, nil
}

// mark adds to keep the keys a rerun of path would read: for a pipeline
// file, every cached instance a dry run of each experiment reaches; for a
// results directory, the same for the pipeline file and variables its
// run.json records (the file must be unchanged), plus the model calls its
// calls.parquet names. The model calls of every kept stage result are
// kept too, so a stage whose version changes can be recomputed without
// asking the model again.
func (c *cacheGcCmd) mark(e *env, path string, keep map[[32]byte]bool) (int, error) {
	before := len(keep)
	file, vars, experiment := path, c.Var, ""
	var run *schemas.Run
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		r, err := schemas.ReadRun(path)
		if err != nil {
			return 0, fmt.Errorf("%s: not a results directory: %w", path, err)
		}
		run = r
		file, experiment = r.ConfigFile, r.Experiment.Name
		src, err := os.ReadFile(file)
		if err != nil {
			return 0, fmt.Errorf("%s: its run.json names %s, which cannot be read (%v): name the pipeline file instead", path, file, err)
		}
		if sum := sha256Hex(src); sum != r.ConfigSHA256 {
			return 0, fmt.Errorf("%s: %s changed since the run (sha256 %s, was %s): name the pipeline file (with its --var) to keep what it needs now", path, file, sum[:12], shortHex(r.ConfigSHA256))
		}
		vars = nil
		for k, v := range r.Variables {
			if v == nil {
				continue
			}
			if s, ok := v.(string); ok {
				vars = append(vars, k+"="+s)
				continue
			}
			b, _ := json.Marshal(v)
			vars = append(vars, k+"="+string(b))
		}
	}
	l, err := load(e, loadFlags{File: file, Var: vars}, datasetDir(c.cacheFlag))
	if err != nil {
		return 0, err
	}
	defer l.plan.Close()
	dir, err := c.localOnly("cache gc")
	if err != nil {
		return 0, err
	}
	store, err := cache.Open(dir, cache.Options{})
	if err != nil {
		return 0, err
	}
	defer store.Close()
	withCalls := map[string]cty.Type{} // cache type -> output type, for kinds whose results record model calls
	set := builtin.Registry(builtin.Options{DatasetDir: datasetDir(c.cacheFlag)})
	for _, name := range set.Runners.List() {
		r, _ := set.Runners.Get(name)
		if out := r.Output(); out.IsObjectType() && out.HasAttribute("calls") {
			withCalls[r.CacheType()] = out
		}
	}
	for _, ep := range l.plan.Experiments {
		if experiment != "" && ep.Name != experiment {
			continue
		}
		var mu sync.Mutex
		var keys []string
		_, err := engine.Run(context.Background(), l.plan, engine.RunOptions{Experiment: ep.Name, Cache: store, DryRun: true, Version: version,
			Events: func(ev engine.Event) {
				if ev.Kind == engine.EventCached {
					mu.Lock()
					keys = append(keys, ev.Key)
					mu.Unlock()
				}
			}})
		if err != nil {
			l.printRunError(e.stderr, err)
			return 0, exitError(exitFailure)
		}
		for _, k := range keys {
			d, err := cachekey.Key(k).Digest()
			if err != nil {
				continue
			}
			keep[d] = true
			keepCalls(store, d, withCalls, keep)
		}
	}
	if run != nil {
		calls, err := schemas.ReadRows[schemas.Call](schemas.Calls, filepath.Join(path, "calls.parquet"))
		if err == nil {
			for _, cl := range calls {
				keep[engine.SubDigest(cl.CallKey)] = true
			}
		}
	}
	return len(keep) - before, nil
}

// keepCalls adds the sub-results (model calls) a stage result records.
func keepCalls(store *cache.Store, d [32]byte, withCalls map[string]cty.Type, keep map[[32]byte]bool) {
	en, ok := store.Get(d)
	if !ok {
		return
	}
	ty, ok := withCalls[en.Type]
	if !ok {
		return
	}
	v, err := cachekey.Decode(en.Data, ty)
	if err != nil {
		return
	}
	calls, _ := schemas.CallsOf(v)
	for _, cl := range calls {
		keep[engine.SubDigest(cl.CallKey)] = true
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
