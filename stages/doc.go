// Package stages owns the contract between the engine and the things it runs:
// the Runner interface every stage kind implements, the Schema of a stage body,
// the BlockKind interface of top-level resource blocks (sandbox, model), and a
// generic, explicit Registry.
//
// It deliberately knows nothing about HCL parsing, DAGs or caching: the engine
// decodes stage bodies against a Runner's Schema, evaluates them per instance
// into a cty.Value, derives the cache key from that value, and only calls Run
// on a cache miss. Concrete kinds live in the sub-packages (stages/execute,
// stages/score, ...); stages/builtin registers them.
package stages
