package pytool

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"strconv"
	"time"
)

// helperSource is the Python helper every process runs.
//
//go:embed helper.py
var helperSource string

// HelperDigest is the sha256 of helper.py. It is part of every cache type
// of this package, so that a changed helper never reuses old results.
var HelperDigest = digest(helperSource)

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Sentinel is the compile feedback of code without syntax errors, as
// ConvCodeWorld writes it.
const Sentinel = "No syntax errors"

// Kinds of limit a result can report in its limit field ("" when none).
const (
	LimitInput     = "input"     // the input is over Options.MaxInput
	LimitSearch    = "search"    // sanitize: the code search ran out of budget (the best range found is used)
	LimitMemory    = "memory"    // MemoryError, or the process was killed for memory
	LimitRecursion = "recursion" // RecursionError inside the helper
	LimitCPU       = "cpu"       // the request used up its CPU seconds
	LimitDeadline  = "deadline"  // the request ran past its wall-clock deadline
	LimitCrash     = "crash"     // the helper died another way (twice in a row on this input)
)

// Options bound the helper processes. Zero fields take the defaults.
type Options struct {
	// Memory is the address-space limit of a helper process in bytes
	// (default 1 GiB); in a container it is also the memory limit.
	Memory int64
	// CPU is the CPU time one request may use (default 10s).
	CPU time.Duration
	// Deadline is the wall-clock time one request may take (default 30s).
	Deadline time.Duration
	// MaxInput caps the bytes of code or test one request carries
	// (default 2 MiB).
	MaxInput int
	// SearchBudget bounds the characters sanitize hands to the parser while
	// it looks for the longest range of lines that parses (default 32 Mi).
	SearchBudget int
	// Helpers is how many helper processes one interpreter may have at
	// once (default 2).
	Helpers int
	// Idle is how long an unused helper process stays (default 30s).
	Idle time.Duration
}

// DefaultOptions are the options zero fields take.
var DefaultOptions = Options{
	Memory: 1 << 30, CPU: 10 * time.Second, Deadline: 30 * time.Second,
	MaxInput: 2 << 20, SearchBudget: 32 << 20, Helpers: 2, Idle: 30 * time.Second,
}

func (o Options) withDefaults() Options {
	d := DefaultOptions
	return Options{
		Memory: or(o.Memory, d.Memory), CPU: or(o.CPU, d.CPU), Deadline: or(o.Deadline, d.Deadline),
		MaxInput: or(o.MaxInput, d.MaxInput), SearchBudget: or(o.SearchBudget, d.SearchBudget),
		Helpers: or(o.Helpers, d.Helpers), Idle: or(o.Idle, d.Idle),
	}
}

// or returns v when it is positive, else fallback.
func or[T int | int64 | time.Duration](v, fallback T) T {
	if v > 0 {
		return v
	}
	return fallback
}

// args are the helper's command-line arguments after its source.
func (o Options) args() []string {
	cpu := int64((o.CPU + time.Second - 1) / time.Second)
	return []string{
		strconv.FormatInt(o.Memory, 10), strconv.FormatInt(cpu, 10),
		strconv.Itoa(o.SearchBudget), strconv.Itoa(o.maxLine()),
	}
}

// maxLine bounds one request line: the input, JSON escaping of it (at most
// six bytes per byte, \u00XX) and the prompt of a calibrating sanitize.
func (o Options) maxLine() int { return 12*o.MaxInput + 64<<10 }

// request is one JSON line to the helper.
type request struct {
	Op         string `json:"op"`
	Code       string `json:"code,omitempty"`
	Test       string `json:"test,omitempty"`
	EntryPoint string `json:"entry_point,omitempty"`
	Prompt     string `json:"prompt,omitempty"`
	Fidelity   bool   `json:"fidelity,omitempty"`
}

// response is one JSON line from the helper: the fields of every op.
type response struct {
	Error string `json:"error"`
	Limit string `json:"limit"`
	// compile
	OK       bool   `json:"ok"`
	Feedback string `json:"feedback"`
	// sanitize
	Code    string `json:"code"`
	Changed bool   `json:"changed"`
	Found   bool   `json:"found"`
	// test_methods
	Names []string `json:"names"`
}

// hello is the helper's first line.
type hello struct {
	Ready  bool   `json:"ready"`
	Python string `json:"python"`
}
