// Package execute owns the execute stage: it runs a solution against its
// unittest module in a sandbox resource and returns the per-test Result
// (sandbox.ResultType). How the code is isolated, limited and timed is the
// sandbox package's business; what the result means for a turn (pass@1,
// feedback) belongs to the score and feedback stages.
package execute
