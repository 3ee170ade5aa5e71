// Package pipelines loads ccw pipeline files: it parses HCL, decodes the
// blocks the engine itself understands (variable, locals, tasks, experiment
// and its stage blocks, and resource blocks such as sandbox and model),
// evaluates variables with their --var overrides, and checks everything that
// can be checked without knowing what a stage kind does: unknown blocks and
// attributes (with did-you-mean), duplicate names, references to things that
// do not exist, and dependency cycles between stages. Every problem is
// reported in one pass as an hcl.Diagnostic with its source range.
//
// It also owns protocol files and the built-in ones embedded beside this
// file (convcodeworld.hcl, convcodebench.hcl): a protocol file holds variable and locals
// blocks (its variables are its parameters) and one protocol block, and an
// experiment runs it with protocol = "NAME" or a path, setting the
// parameters as its own attributes. The body of an experiment or protocol
// is the language of multi-turn benchmarks:
//
//   - stage blocks outside a turn block run at turn 0, once per task;
//   - combination "NAME" { label = ..., ATTR = ... } blocks are data that
//     stages read as combination.ATTR (and combination.name, .label);
//   - a turn { stage ... } block is the template of turns 1..turns; its
//     stages read the same turn's stages by kind.name and the previous
//     turn's with prev.kind.name (turn 1 reads turn 0's stage of that
//     name, which must exist);
//   - until = EXPR ends a task's turns in a combination when true of the
//     turn that just ended; turns = N is the budget; without until (or
//     when it never holds) no turn waits for the one before unless its
//     stages read prev;
//   - metrics = { protocol = "live" | "static", ... } says how the score
//     rows become metrics (the stage set's metrics function reads it);
//   - when = EXPR on a stage makes an instance "not applicable" (its
//     result is null) instead of running it; turn.index and turn.max are
//     the current turn and the budget.
//
// It deliberately stops there: stage bodies and resource bodies stay as
// hcl.Body until engine.Compile decodes them against the schemas of the
// registered stage kinds, as Terraform's configs package defers provider
// bodies. This package imports neither engine nor stages.
package pipelines
