package tasks

import (
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"regexp"
	"strings"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/ccw-dev/ccw/stages"
)

// Sources and subsets a Config may name.
const (
	SourceBigCodeBench = "bigcodebench"
	SourceFile         = "file"

	SubsetFull = "full"
	SubsetHard = "hard"

	// DefaultSplit is the split ConvCodeWorld evaluates on.
	DefaultSplit = "v0.1.0_hf"
)

// Config is the evaluated body of a tasks block.
type Config struct {
	// Source is "bigcodebench" (the published split, verified against a
	// pinned digest) or "file" (any task file at Path). Empty means "file"
	// when Path is set and "bigcodebench" otherwise.
	Source string
	// Split names the BigCodeBench split (default v0.1.0_hf). For a file
	// source it is only a label.
	Split string
	// Path is a local task file. With source "bigcodebench" it replaces the
	// download and is verified against the split's pin.
	Path string
	// URL overrides where the split is downloaded from (env
	// CCW_BIGCODEBENCH_URL does the same); see Load.
	URL string
	// Subset is "" or "full" (all tasks) or "hard" (the 148 of HardIDs).
	Subset string
	// IDs, if not empty, keeps only these tasks.
	IDs []string
	// Limit, if positive, keeps the first Limit tasks after the other
	// filters, in dataset order.
	Limit int
	// Digest ("sha256:<hex>", see CanonicalDigest) overrides the pinned
	// digest; for a file source it is checked when given.
	Digest string
	// CacheDir is where downloaded splits are kept; default
	// $XDG_CACHE_HOME/ccw/datasets (or ~/.cache/ccw/datasets).
	CacheDir string
	// Offline forbids downloading: only a cached copy or Path is used.
	Offline bool
}

// Schema lists the attributes of a tasks block:
//
//	tasks "bcb" {
//	  source = "bigcodebench"
//	  split  = "v0.1.0_hf"
//	  path   = var.tasks      # "" downloads; a path reads a local copy
//	  subset = "hard"
//	  ids    = ["BigCodeBench/13"]
//	  limit  = 20
//	}
func Schema() stages.Schema {
	return stages.Schema{
		{Name: "source", Type: cty.String, Doc: `"bigcodebench" (the published split: downloaded, verified against a pinned digest, cached) or "file" (the task file at path); default "file" when path is set, else "bigcodebench"`},
		{Name: "split", Type: cty.String, Doc: `BigCodeBench split, for example "v0.1.0_hf" (default, the split ConvCodeWorld uses) or "v0.1.4"; only a label for a file source`},
		{Name: "path", Type: cty.String, Doc: `a local task file (.jsonl, .jsonl.gz or .parquet in BigCodeBench's format); with source "bigcodebench" it replaces the download and must match the split's pinned digest; "" means none`},
		{Name: "url", Type: cty.String, Doc: `where to download the split from: a URL in which {split} is replaced by the split, or a base URL laid out like the Hugging Face dataset's data/ folder; default: Hugging Face, then the GitHub release asset (env CCW_BIGCODEBENCH_URL overrides too)`},
		{Name: "subset", Type: cty.String, Default: cty.StringVal(SubsetFull), Doc: `"full" (all tasks) or "hard" (the 148 BigCodeBench-Hard tasks)`},
		{Name: "ids", Type: cty.List(cty.String), Doc: `keep only these task ids; an id that is not in the set is an error`},
		{Name: "limit", Type: cty.Number, Default: cty.Zero, Doc: `keep the first N tasks (in dataset order) after subset and ids; 0 means all`},
		{Name: "digest", Type: cty.String, Doc: `expected "sha256:..." canonical digest of all records; overrides the pin (for example for a split ccw does not pin)`},
		{Name: "cache_dir", Type: cty.String, Doc: `directory for downloaded splits; default $XDG_CACHE_HOME/ccw/datasets`},
		{Name: "offline", Type: cty.Bool, Default: cty.False, Doc: `never download; use the cache or path`},
	}
}

// ConfigFromValue reads the evaluated body of a tasks block (an object
// whose attributes are those of Schema; absent and null ones take their
// defaults) and checks it.
func ConfigFromValue(v cty.Value) (Config, error) {
	if v.IsNull() || !v.IsKnown() || !(v.Type().IsObjectType() || v.Type().IsMapType()) {
		return Config{}, fmt.Errorf("tasks: want an object for the tasks block, got %s", v.Type().FriendlyName())
	}
	r := attrReader{v: v}
	cfg := Config{
		Source:   r.str("source"),
		Split:    r.str("split"),
		Path:     r.str("path"),
		URL:      r.str("url"),
		Subset:   r.str("subset"),
		IDs:      r.strList("ids"),
		Limit:    r.integer("limit"),
		Digest:   r.str("digest"),
		CacheDir: r.str("cache_dir"),
		Offline:  r.boolean("offline"),
	}
	if r.err != nil {
		return Config{}, r.err
	}
	return cfg.normalized()
}

// attrReader reads attributes of an object value, keeping the first error.
type attrReader struct {
	v   cty.Value
	err error
}

func (r *attrReader) get(name string, want cty.Type) cty.Value {
	if r.err != nil {
		return cty.NullVal(want)
	}
	var a cty.Value
	switch {
	case r.v.Type().IsObjectType() && r.v.Type().HasAttribute(name):
		a = r.v.GetAttr(name)
	case r.v.Type().IsMapType() && r.v.HasIndex(cty.StringVal(name)).True():
		a = r.v.Index(cty.StringVal(name))
	default:
		return cty.NullVal(want)
	}
	a, _ = a.UnmarkDeep()
	if !a.IsWhollyKnown() {
		r.err = fmt.Errorf("tasks: attribute %q is not known before the run", name)
		return cty.NullVal(want)
	}
	c, err := convert.Convert(a, want)
	if err != nil {
		r.err = fmt.Errorf("tasks: attribute %q: want %s: %w", name, want.FriendlyName(), err)
		return cty.NullVal(want)
	}
	return c
}

func (r *attrReader) str(name string) string {
	if a := r.get(name, cty.String); !a.IsNull() {
		return a.AsString()
	}
	return ""
}

func (r *attrReader) boolean(name string) bool {
	a := r.get(name, cty.Bool)
	return !a.IsNull() && a.True()
}

func (r *attrReader) integer(name string) int {
	a := r.get(name, cty.Number)
	if a.IsNull() {
		return 0
	}
	bf := a.AsBigFloat()
	n, acc := bf.Int64()
	if acc != big.Exact || n < 0 || n > 1<<31 {
		r.err = fmt.Errorf("tasks: attribute %q: want a whole number from 0 to %d, got %s", name, 1<<31, bf.Text('g', 10))
		return 0
	}
	return int(n)
}

func (r *attrReader) strList(name string) []string {
	a := r.get(name, cty.List(cty.String))
	if a.IsNull() {
		return nil
	}
	var out []string
	for it := a.ElementIterator(); it.Next(); {
		i, e := it.Element()
		if e.IsNull() {
			r.err = fmt.Errorf("tasks: attribute %q: element %s is null", name, i.AsBigFloat().String())
			return nil
		}
		out = append(out, e.AsString())
	}
	return out
}

var splitPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// normalized fills defaults and checks c. Load calls it too, so a Config
// built in Go gets the same checks as one from HCL.
func (c Config) normalized() (Config, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if c.Source == "" {
		c.Source = SourceBigCodeBench
		if c.Path != "" {
			c.Source = SourceFile
		}
	}
	switch c.Source {
	case SourceBigCodeBench:
		if c.Split == "" {
			c.Split = DefaultSplit
		}
		if !splitPattern.MatchString(c.Split) {
			bad("split %q: want letters, digits, '.', '_' or '-'", c.Split)
		} else if _, pinned := pins[c.Split]; !pinned && c.Digest == "" {
			bad("split %q has no pinned digest (pinned: %s); set digest = \"sha256:...\" to use it", c.Split, strings.Join(pinnedSplits(), ", "))
		}
	case SourceFile:
		if c.Path == "" {
			bad(`source "file" needs path`)
		}
		if c.URL != "" {
			bad(`url applies to source "bigcodebench" only`)
		}
	default:
		bad("source %q: want %q or %q", c.Source, SourceBigCodeBench, SourceFile)
	}
	if c.URL != "" {
		if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("url %q: want an http or https URL", c.URL)
		}
	}
	switch c.Subset {
	case "", SubsetFull:
		c.Subset = SubsetFull
	case SubsetHard:
	default:
		bad("subset %q: want %q or %q", c.Subset, SubsetFull, SubsetHard)
	}
	seen := map[string]bool{}
	for _, id := range c.IDs {
		switch {
		case strings.TrimSpace(id) == "":
			bad("ids: empty id")
		case seen[id]:
			bad("ids: %q listed twice", id)
		}
		seen[id] = true
	}
	if c.Limit < 0 {
		bad("limit %d: want 0 (all) or more", c.Limit)
	}
	if c.Digest != "" {
		if err := checkDigestSyntax(c.Digest); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("tasks: %w", err)
	}
	return c, nil
}

// expectedDigest is the digest the records must have ("" when anything
// goes), and whether it is ccw's pin.
func (c Config) expectedDigest() (digest string, pinned bool) {
	if c.Digest != "" {
		return c.Digest, false
	}
	if c.Source == SourceBigCodeBench {
		return pins[c.Split], true
	}
	return "", false
}
