// Package tasks owns task sources: reading BigCodeBench-format task files
// (.jsonl, .jsonl.gz, .parquet), the built-in "bigcodebench" source that
// downloads a published split, verifies it against a pinned digest and keeps
// it in a local cache, the canonical digest of a task set, and the selection
// of tasks by ids, by subset ("hard") and by limit.
//
// A task is the nine string fields of a BigCodeBench record; pipeline
// expressions see it as an object (task.canonical_solution, task.test, ...).
// The digest of a set is taken over the parsed records in a canonical form
// (see CanonicalDigest), not over file bytes, so a jsonl, a jsonl.gz and a
// parquet copy of one split have the same digest.
//
// It does not run tasks, know about pipelines, DAGs or the engine's cache:
// the engine decodes a tasks block against Schema, turns it into a Config
// with ConfigFromValue, calls Load once, and expands its stages over
// Set.Tasks. The execution semantics live in stages/sandbox.
package tasks
