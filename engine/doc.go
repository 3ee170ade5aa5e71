// Package engine compiles a loaded pipeline configuration into a plan and
// runs it.
//
// Compile decodes resource blocks, tasks blocks and stage bodies against the
// schemas of the registered kinds (stages.Set), evaluates an experiment's
// protocol arguments and combinations, type-checks every stage expression
// against the types of what it references (task fields, other stages'
// outputs, the previous turn's, resources, combination and turn) before
// anything runs, orders the stages of turn 0 and of the turn template, and
// decides which stages run once per combination (they read combination.*,
// directly or through what they read) and which are shared.
//
// Run loads the tasks, adds turn 0 of every task, and walks the growing
// graph concurrently (engine/dag), one walker lane per resource a stage
// uses, so that a slow model endpoint never holds back the sandbox. Turns
// are unrolled lazily: after turn t of a task in a combination, a gate
// vertex evaluates the stop rule (until) on that turn's results and, unless
// it holds or the budget is spent, adds turn t+1, whose stages read turn
// t's through prev; results are reference-counted and dropped once every
// reader (and the gate that may unroll the next turn) has read them. There
// is no turn barrier: each task advances when its own turn is done
// (RunOptions.TurnBarrier reproduces the original's schedule for
// comparisons).
//
// For each stage instance it evaluates the when condition (false: not
// applicable) and the body, derives the cache key from the evaluated
// configuration (engine/cachekey), and either takes the result from the
// cache (engine/cache: a directory or a shared bucket) or runs the stage,
// with at most one run per key at a time (single-flight); a key another
// process stored first is adopted, and a cache that cannot be read fails
// the instance instead of recomputing it. RunOptions.Shard restricts a run
// to the tasks of one shard (engine/shard, which also merges shards). Every instance has a typed Address (experiment,
// combination, stage, task, turn) carried by events, errors, rows and
// explain records. Results of score stages become rows of turns.parquet,
// sorted by address; the stage set's metrics (told the body's metrics
// attribute) become metrics.parquet;
// run.json records what was run.
//
// The engine reports progress as Events and failures as *VertexError values
// that carry the stage's source range. It does not render anything.
package engine
