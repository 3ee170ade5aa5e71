package sandbox

import "time"

// Status is the verdict of one execution. The first three are
// BigCodeBench's; crash, oom and killed name causes BigCodeBench reports as
// timeout; skipped, incomplete and tampered are runs BigCodeBench would count
// as passed that ccw does not (with fidelity = "original" the first two are
// passes, as there).
type Status string

// Statuses of an execution.
const (
	Pass    Status = "pass"    // every expected test reported a pass
	Fail    Status = "fail"    // a test failed or errored, or the module failed (key ALL)
	Timeout Status = "timeout" // the wall-time limit was reached
	Crash   Status = "crash"   // the process died of a signal it was not sent by us
	OOM     Status = "oom"     // the memory limit was reached
	Killed  Status = "killed"  // another limit was reached (processes, file size, output, tests)
	// Skipped: nothing failed, but a test was skipped.
	Skipped Status = "skipped"
	// Incomplete: nothing failed, but an expected test reported no result,
	// or no test ran at all.
	Incomplete Status = "incomplete"
	// Tampered: the program replaced the unittest machinery or the
	// harness, or something other than the harness reported.
	Tampered Status = "tampered"
)

// TestResult is the outcome of one test method, in the order tests ran.
type TestResult struct {
	Name    string `json:"name"`    // method name (last dotted part of the test id), or "ALL"
	Status  string `json:"status"`  // pass | fail | error | skip | timeout
	Message string `json:"message"` // traceback text for fail/error, empty for pass
}

// Job is one solution to run against one test module.
type Job struct {
	// Code is the solution module source; Test the unittest source
	// defining class TestCases. They run as one module, as BigCodeBench does.
	Code string
	Test string
	// Timeout overrides the sandbox's wall-time limit when positive.
	Timeout time.Duration
}

// Result is what an execution produced.
type Result struct {
	Status Status `json:"status"`
	// Tests lists every test that reported, in run order; failures carry
	// the formatted traceback. A module-level failure is one entry "ALL"
	// whose message is str(exception), as BigCodeBench records it.
	Tests []TestResult `json:"tests"`
	// Limit names the limit that ended the run for timeout/oom/killed
	// ("wall", "memory", "pids", "fsize", "output", "tests"), empty
	// otherwise.
	Limit string `json:"limit,omitempty"`
	// Reason says, for skipped, incomplete and tampered (and for a pass
	// that only fidelity = "original" makes one), which tests or what the
	// program did; empty otherwise.
	Reason string `json:"reason,omitempty"`
	// Output is the captured stdout+stderr of the process, cut at the
	// output limit with a marker.
	Output string `json:"output,omitempty"`
	// Duration is the wall time of the execution.
	Duration time.Duration `json:"duration_ns"`
	// Limits are the limits the run had; they are recorded with every result.
	Limits Limits `json:"limits"`
	// Phases breaks Duration down; not part of the value (Value), and
	// zero in a result read back from anywhere.
	Phases Phases `json:"-"`
}

// Details returns BigCodeBench's details map: failing test name → traceback.
func (r Result) Details() map[string]string {
	d := map[string]string{}
	for _, t := range r.Tests {
		if t.Status == "fail" || t.Status == "error" || t.Status == "timeout" {
			d[t.Name] = t.Message
		}
	}
	return d
}
