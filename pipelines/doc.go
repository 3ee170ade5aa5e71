// Package pipelines loads ccw pipeline files: it parses HCL, decodes the
// blocks the engine itself understands (variable, locals, tasks, experiment
// and its stage blocks, and resource blocks such as sandbox and model),
// evaluates variables with their --var overrides, and checks everything that
// can be checked without knowing what a stage kind does: unknown blocks and
// attributes (with did-you-mean), duplicate names, references to things that
// do not exist, and dependency cycles between stages. Every problem is
// reported in one pass as an hcl.Diagnostic with its source range.
//
// It deliberately stops there: stage bodies and resource bodies stay as
// hcl.Body until engine.Compile decodes them against the schemas of the
// registered stage kinds, as Terraform's configs package defers provider
// bodies. This package imports neither engine nor stages.
package pipelines
