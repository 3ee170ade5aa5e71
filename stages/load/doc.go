// Package load owns the `load` stage kind: one record of a local data file
// (JSON lines, gzip-compressed JSON lines or Parquet), found by the values
// of some of its fields — for example a pre-generated turn-0 solution
// {task_id, solution} of the original's jsonl files, or a reference
// model's logged turn for ConvCodeBench.
//
// Each file is read and hashed once per process (keyed by path, size,
// modification time and inode) and indexed once per set of key fields, so
// that a lookup per task costs a map access; an as-of lookup (at_most)
// takes the record with the greatest number in a field up to a bound,
// such as a task's last logged turn. The result carries the
// file's content digest, so that the cache keys of stages that use a
// record change when the file does.
//
// It does not own task sets (stages/tasks) or the formats of files ccw
// writes (schemas).
package load
