// Package sandbox owns running untrusted Python: the embedded harness that
// runs a solution and its unittest module as one module with BigCodeBench's
// semantics (per-test results by method name, ALL for a module-level
// failure, pass / fail / timeout), the causes BigCodeBench cannot tell apart
// (crash, oom, killed by a limit), the limits, the backends that isolate a
// run, the sandbox resource block (Block) and the Result a run produces.
//
// A Sandbox runs one Job at a time per slot; the Result is an outcome to
// cache, an error is an infrastructure failure. The package knows nothing
// about pipelines, cache keys or Parquet: the execute stage and the engine
// own those.
package sandbox
