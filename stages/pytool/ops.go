package pytool

import (
	"context"
	"fmt"

	"github.com/zclconf/go-cty/cty"
)

// CompileResult is the outcome of a syntax check.
type CompileResult struct {
	OK bool
	// Feedback is Sentinel, or the traceback as ConvCodeWorld shows it:
	// the header, one frame of the checking helper with its source line,
	// the File "tmp.py" frame, the offending line, the caret and the
	// error. When a limit stopped the check it says so in words.
	Feedback string
	Limit    string // "" or one of the Limit constants
}

// Value converts r to CompileOutput.
func (r CompileResult) Value() cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"ok": cty.BoolVal(r.OK), "feedback": cty.StringVal(r.Feedback), "limit": cty.StringVal(r.Limit),
	})
}

// limitWords says in a sentence what stopped a check.
var limitWords = map[string]string{
	LimitMemory:    "it ran out of memory",
	LimitRecursion: "the code is nested too deeply",
	LimitCPU:       "it used up its CPU time",
	LimitDeadline:  "it ran out of time",
	LimitCrash:     "the checking interpreter crashed on this code",
}

// Compile checks code's syntax as CPython compile(code, "tmp.py", "exec")
// does in the pool's interpreter.
func (p *Pool) Compile(ctx context.Context, code string) (CompileResult, error) {
	if len(code) > p.o.MaxInput {
		return CompileResult{Limit: LimitInput, Feedback: fmt.Sprintf(
			"The syntax check did not run: the code is %d bytes long, over the limit of %d bytes.", len(code), p.o.MaxInput)}, nil
	}
	resp, err := p.call(ctx, request{Op: "compile", Code: code})
	if err != nil {
		return CompileResult{}, err
	}
	if resp.Feedback == "" {
		// A limit the helper did not survive.
		return CompileResult{Limit: resp.Limit, Feedback: "The syntax check did not finish: " + limitWords[resp.Limit] + "."}, nil
	}
	return CompileResult{OK: resp.OK, Feedback: resp.Feedback, Limit: resp.Limit}, nil
}

// SanitizeRequest is one sanitize call.
type SanitizeRequest struct {
	Code       string // the model's answer or code
	EntryPoint string // task_func
	Prompt     string // complete_prompt for calibration, or ""
	Fidelity   bool   // the original's output layout
}

// SanitizeResult is the sanitized code.
type SanitizeResult struct {
	Code    string
	Changed bool   // Code differs from the answer
	Found   bool   // Code defines the entry point at top level
	Limit   string // "", LimitSearch (Code is the best found), or a limit that left Code empty
}

// Value converts r to SanitizeOutput.
func (r SanitizeResult) Value() cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"code": cty.StringVal(r.Code), "changed": cty.BoolVal(r.Changed),
		"found": cty.BoolVal(r.Found), "limit": cty.StringVal(r.Limit),
	})
}

// Sanitize keeps the code of an answer that BigCodeBench's sanitizer keeps.
func (p *Pool) Sanitize(ctx context.Context, req SanitizeRequest) (SanitizeResult, error) {
	if len(req.Code) > p.o.MaxInput || len(req.Prompt) > p.o.MaxInput {
		return SanitizeResult{Changed: req.Code != "", Limit: LimitInput}, nil
	}
	resp, err := p.call(ctx, request{Op: "sanitize", Code: req.Code, EntryPoint: req.EntryPoint, Prompt: req.Prompt, Fidelity: req.Fidelity})
	if err != nil {
		return SanitizeResult{}, err
	}
	if resp.Limit != "" && resp.Limit != LimitSearch {
		return SanitizeResult{Changed: req.Code != "", Limit: resp.Limit}, nil
	}
	return SanitizeResult{Code: resp.Code, Changed: resp.Changed, Found: resp.Found, Limit: resp.Limit}, nil
}

// TestMethods lists the function definitions inside the classes of a test
// module in the order of ConvCodeWorld's extract_methods.py. A test module
// that does not parse, is too long or hits a limit is an error: tests are
// task data, not generated code.
func (p *Pool) TestMethods(ctx context.Context, test string) ([]string, error) {
	if len(test) > p.o.MaxInput {
		return nil, fmt.Errorf("the test module is %d bytes long, over the limit of %d bytes", len(test), p.o.MaxInput)
	}
	resp, err := p.call(ctx, request{Op: "test_methods", Test: test})
	if err != nil {
		return nil, err
	}
	if resp.Limit != "" {
		return nil, fmt.Errorf("listing the test methods stopped: %s", limitWords[resp.Limit])
	}
	if resp.Names == nil {
		resp.Names = []string{}
	}
	return resp.Names, nil
}
