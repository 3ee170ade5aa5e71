// Package engine compiles a loaded pipeline configuration into a plan and
// runs it.
//
// Compile decodes resource blocks, tasks blocks and stage bodies against the
// schemas of the registered kinds (stages.Set), type-checks every stage
// expression against the types of what it references (task fields, other
// stages' outputs, resources) before anything runs, and orders stages.
//
// Run loads the tasks, instantiates the stage template once per task, and
// walks the resulting graph concurrently (engine/dag). For each vertex it
// evaluates the stage body with the task and the upstream results, derives
// the cache key from the evaluated configuration (engine/cachekey), and
// either takes the result from the cache (engine/cache) or runs the stage,
// with at most one run per key at a time (single-flight). Results of score
// stages become rows of turns.parquet; run.json records what was run.
//
// The engine reports progress as Events and failures as *VertexError values
// that carry the stage's source range. It does not render anything.
package engine
