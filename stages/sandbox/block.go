package sandbox

import (
	"fmt"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/stages"
)

// Type is the capsule type of references to sandbox blocks (sandbox.py):
// it wraps a *Sandbox.
var Type = stages.ResourceType("sandbox", reflect.TypeOf(Sandbox{}))

// Block returns the BlockKind of sandbox "NAME" { ... } blocks.
func Block() stages.BlockKind { return blockKind{} }

type blockKind struct{}

var _ stages.BlockKind = blockKind{}

// Block implements stages.BlockKind.
func (blockKind) Block() string { return "sandbox" }

// Type implements stages.BlockKind.
func (blockKind) Type() cty.Type { return Type }

// Schema implements stages.BlockKind.
func (blockKind) Schema() stages.Schema { return schema }

// Open implements stages.BlockKind. It only validates: the backend starts on
// the first Run.
func (blockKind) Open(name string, cfg cty.Value) (stages.Resource, error) {
	c, err := ConfigFromValue(cfg)
	if err != nil {
		return nil, fmt.Errorf("sandbox %q: %w", name, err)
	}
	return New(name, c), nil
}

var schema = stages.Schema{
	{Name: "backend", Type: cty.String, Default: cty.StringVal("local"),
		Doc: `Where code runs: "local" (a hardened child process, the default) or "docker".`},
	{Name: "python", Type: cty.String,
		Doc: `The Python interpreter: default /usr/bin/python3 (local) or python3 on the image's PATH (docker).`},
	{Name: "image", Type: cty.String,
		Doc: `The Docker image (docker backend only), for example BigCodeBench's evaluation image.`},
	{Name: "mounts", Type: cty.List(cty.String),
		Doc: `Read-only bind mounts "HOST:CONTAINER" (docker backend only), for example "/usr:/usr" to run the host's Python in a minimal image.`},
	{Name: "timeout", Type: cty.String, Default: cty.StringVal("121s"),
		Doc: `Wall-time limit of one run (module and test suite), a Go duration. ConvCodeWorld uses 121s.`},
	{Name: "memory", Type: cty.String, Default: cty.StringVal("4GiB"),
		Doc: `Memory limit of one run ("unlimited" for none).`},
	{Name: "pids", Type: cty.Number, Default: cty.NumberIntVal(512),
		Doc: `Maximum number of processes and threads of one run (0 for no limit).`},
	{Name: "file_size", Type: cty.String, Default: cty.StringVal("256MiB"),
		Doc: `Largest file one run may write; past it the run is killed (limit "fsize").`},
	{Name: "disk", Type: cty.String, Default: cty.StringVal("1GiB"),
		Doc: `Size of the private work dir, where the backend can give it its own file system.`},
	{Name: "output", Type: cty.String, Default: cty.StringVal("1MiB"),
		Doc: `How much of stdout+stderr is kept in the result; the rest is cut with a marker.`},
	{Name: "output_kill", Type: cty.String, Default: cty.StringVal("64MiB"),
		Doc: `Total output past which the run is killed (limit "output").`},
	{Name: "network", Type: cty.Bool, Default: cty.False,
		Doc: `Allow network access (off by default: only a private loopback).`},
	{Name: "slots", Type: cty.Number,
		Doc: `How many runs may use the CPU at once; default the number of CPUs. Not part of the identity.`},
	{Name: "lend", Type: cty.Number,
		Doc: `How many more runs may start while runs wait without using the CPU (a sleep, a socket timeout, a subprocess): a run that used under 5% of a CPU over its last second lends its slot, up to this many extra runs at once, while the machine has a run's memory limit available. Default 3 × slots; 0 turns lending off. Needs a cgroup (local backend). Not part of the identity.`},
	{Name: "workers", Type: cty.String, Default: cty.StringVal("warm"),
		Doc: `"warm" (default, local backend): a worker per slot with preloaded imports forks a child per run; "fresh": a new interpreter per run. Results are the same; not part of the identity.`},
	{Name: "recycle", Type: cty.Number, Default: cty.NumberIntVal(200),
		Doc: `Warm workers are replaced after this many runs (and whenever a run leaked anything).`},
	{Name: "preload", Type: cty.List(cty.String),
		Doc: `Modules warm workers import before forking; default the 25 libraries BigCodeBench's tasks import most (DefaultPreload). Each run keeps only what its own imports would have set up (warnings filters, environment).`},
	{Name: "isolation", Type: cty.String, Default: cty.StringVal("auto"),
		Doc: `"auto": use every isolation the kernel allows and warn once about what is missing; "strict": fail instead; "none": a plain child process.`},
	{Name: "fidelity", Type: cty.String, Default: cty.StringVal("strict"),
		Doc: `How verdicts count: "strict" (default) passes a run only when every test the test source defines reported a pass; "original" counts as BigCodeBench does, where a skipped or missing test is not a failure. Part of the identity.`},
}

// Config is a decoded sandbox block.
type Config struct {
	Backend   string   // "local" or "docker"
	Python    string   // interpreter path (or name on the image's PATH)
	Image     string   // docker only
	Mounts    []string // docker only: read-only binds HOST:CONTAINER
	Limits    Limits   // what enters the identity
	Slots     int      // concurrent runs using the CPU
	Lend      int      // extra runs while runs wait without using the CPU
	Workers   string   // "warm" or "fresh"
	Recycle   int      // runs per warm worker
	Preload   []string // modules warm workers import
	Isolation string   // "auto", "strict" or "none"
	Fidelity  string   // "strict" or "original": how verdicts count
}

// DefaultPreload is what warm workers import when the block names nothing:
// one worker with the union of the libraries BigCodeBench's tasks import
// most, dependencies first, each worth more than a second of imports over
// the 1140 references (ImportCost). Each child is then reset to what a
// fresh interpreter that imported only its job's imports would have
// (worker.py, _Preloads).
var DefaultPreload = []string{
	"numpy", "scipy", "scipy.stats", "pandas", "matplotlib", "matplotlib.pyplot", "seaborn",
	"sklearn", "sklearn.preprocessing", "sklearn.linear_model", "sklearn.model_selection",
	"sklearn.decomposition", "sklearn.cluster", "sklearn.feature_extraction.text", "sklearn.metrics",
	"sklearn.ensemble", "sklearn.datasets", "nltk", "nltk.corpus", "cv2", "requests", "bs4",
	"unittest.mock", "doctest", "faker",
}

// ImportCost is the measured time (ms) a fresh Debian 12 python3 takes to
// import each library BigCodeBench's tasks declare most (its dependencies
// included), best of two on a quiet 2-core machine: the estimate of a
// task's execution time when no earlier run has timed it.
var ImportCost = map[string]int{
	"pandas": 317, "matplotlib": 300, "seaborn": 668, "numpy": 98, "sklearn": 521, "nltk": 630,
	"scipy": 253, "cv2": 400, "requests": 85, "bs4": 129, "statsmodels": 889, "faker": 40,
	"folium": 420, "sympy": 346, "flask": 129, "django": 119, "geopandas": 353, "gensim": 523,
	"mpl_toolkits": 417, "tensorflow": 3000, "keras": 3000, "librosa": 1000, "textblob": 700,
}

// DefaultConfig is the configuration of an empty sandbox block.
func DefaultConfig() Config {
	c, err := ConfigFromValue(cty.NullVal(schema.ObjectType()))
	if err != nil {
		panic("sandbox: defaults do not decode: " + err.Error())
	}
	return c
}

// ConfigFromValue decodes an evaluated sandbox body (an object of the
// Schema's type; absent or null attributes take their defaults).
func ConfigFromValue(v cty.Value) (Config, error) {
	get := func(name string) cty.Value {
		a, _ := schema.Lookup(name)
		if !v.IsNull() && v.IsKnown() && v.Type().IsObjectType() && v.Type().HasAttribute(name) {
			if x := v.GetAttr(name); !x.IsNull() {
				return x
			}
		}
		if a.Default == cty.NilVal {
			return cty.NullVal(a.Type)
		}
		return a.Default
	}
	var c Config
	var err error
	str := func(name string) string {
		x := get(name)
		if x.IsNull() {
			return ""
		}
		if !x.IsKnown() || x.Type() != cty.String {
			err = fmt.Errorf("%s: want a known string", name)
			return ""
		}
		return x.AsString()
	}
	num := func(name string, fallback int64) int64 {
		x := get(name)
		if x.IsNull() {
			return fallback
		}
		if !x.IsKnown() || x.Type() != cty.Number {
			err = fmt.Errorf("%s: want a known number", name)
			return 0
		}
		n, acc := x.AsBigFloat().Int64()
		if acc != 0 || n < 0 {
			err = fmt.Errorf("%s: want a whole number ≥ 0, got %s", name, x.AsBigFloat().String())
		}
		return n
	}
	size := func(name string) int64 {
		s := str(name)
		n, perr := ParseSize(s)
		if perr != nil && err == nil {
			err = fmt.Errorf("%s: %w", name, perr)
		}
		return n
	}
	c.Backend = str("backend")
	c.Python = str("python")
	c.Image = str("image")
	c.Workers = str("workers")
	c.Isolation = str("isolation")
	c.Fidelity = str("fidelity")
	c.Limits.Memory = size("memory")
	c.Limits.FileSize = size("file_size")
	c.Limits.Disk = size("disk")
	c.Limits.Output = size("output")
	c.Limits.OutputKill = size("output_kill")
	c.Limits.Pids = num("pids", 0)
	c.Slots = int(num("slots", int64(runtime.NumCPU())))
	// Three runs per slot may wait at once: BigCodeBench's longest tasks
	// sleep together (1104, 1040 and 220 start first by their history,
	// and with lend = slots they held 3 of 4 runs while one computed).
	c.Lend = int(num("lend", int64(3*c.Slots)))
	c.Recycle = int(num("recycle", 0))
	if nx := get("network"); nx.IsKnown() && !nx.IsNull() {
		c.Limits.Network = nx.True()
	}
	if t := str("timeout"); err == nil {
		d, perr := time.ParseDuration(t)
		switch {
		case perr != nil:
			err = fmt.Errorf("timeout: %q is not a Go duration such as \"121s\" or \"2m\"", t)
		case d <= 0:
			err = fmt.Errorf("timeout: must be positive, got %q", t)
		}
		c.Limits.Timeout = d
	}
	list := func(name string) ([]string, bool) {
		x := get(name)
		if x.IsNull() || !x.IsKnown() {
			return nil, false
		}
		var out []string
		for it := x.ElementIterator(); it.Next(); {
			_, m := it.Element()
			if m.IsNull() || !m.IsKnown() {
				err = fmt.Errorf("%s: entries must be known strings", name)
				return nil, true
			}
			out = append(out, m.AsString())
		}
		return out, true
	}
	c.Mounts, _ = list("mounts")
	var set bool
	if c.Preload, set = list("preload"); !set {
		c.Preload = append([]string(nil), DefaultPreload...)
	}
	if err != nil {
		return Config{}, err
	}
	return c, c.validate()
}

func (c *Config) validate() error {
	switch c.Backend {
	case "local":
		if c.Python == "" {
			c.Python = "/usr/bin/python3"
		}
		if c.Image != "" || len(c.Mounts) > 0 {
			return fmt.Errorf("image, mounts: only the docker backend runs an image (backend is %q)", c.Backend)
		}
	case "docker":
		if c.Python == "" {
			c.Python = "python3"
		}
		if c.Image == "" {
			return fmt.Errorf(`image: the docker backend needs an image, for example "bigcodebench/bigcodebench-evaluate:latest"`)
		}
	default:
		return fmt.Errorf(`backend: want "local" or "docker", got %q`, c.Backend)
	}
	for _, m := range c.Mounts {
		host, ctr, ok := strings.Cut(m, ":")
		if !ok || !filepath.IsAbs(host) || !filepath.IsAbs(strings.TrimSuffix(ctr, ":ro")) {
			return fmt.Errorf("mounts: %q is not HOST:CONTAINER with absolute paths", m)
		}
	}
	switch c.Workers {
	case "warm", "fresh":
	default:
		return fmt.Errorf(`workers: want "warm" or "fresh", got %q`, c.Workers)
	}
	switch c.Isolation {
	case "auto", "strict", "none":
	default:
		return fmt.Errorf(`isolation: want "auto", "strict" or "none", got %q`, c.Isolation)
	}
	switch c.Fidelity {
	case "strict", "original":
	default:
		return fmt.Errorf(`fidelity: want "strict" or "original", got %q`, c.Fidelity)
	}
	if c.Slots < 1 {
		return fmt.Errorf("slots: want at least 1, got %d", c.Slots)
	}
	if c.Recycle < 1 {
		return fmt.Errorf("recycle: want at least 1, got %d", c.Recycle)
	}
	for _, m := range c.Preload {
		if !isModuleName(m) {
			return fmt.Errorf("preload: %q is not a Python module name", m)
		}
	}
	if c.Limits.Timeout < 10*time.Millisecond {
		return fmt.Errorf("timeout: %s is too short to start Python", c.Limits.Timeout)
	}
	return nil
}

func isModuleName(s string) bool {
	if s == "" {
		return false
	}
	start := true
	for _, r := range s {
		switch {
		case r == '.':
			if start {
				return false
			}
			start = true
		case r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
			start = false
		case r >= '0' && r <= '9' && !start:
		default:
			return false
		}
	}
	return !start
}
