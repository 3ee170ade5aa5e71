// Package dag owns the two graph structures the engine needs, and nothing
// domain-specific (it imports only the standard library):
//
//   - Graph: a small named graph for compiled pipeline templates, with
//     Tarjan cycle reporting, deterministic topological order, transitive
//     reduction, a stable String form for golden tests, and DOT export.
//   - Walker: a concurrent walk over a graph of integer vertices that may
//     grow while it runs (dynamic expansion, e.g. the next turn of a task
//     exists only once the previous one is scored). A vertex runs when all
//     of its dependencies are done; at most a bounded number run at once;
//     the ready vertex with the lowest priority value runs first; a failure
//     skips its dependents and is reported once; cancellation stops
//     dispatching and waits for what is running.
//
// Edge direction is always named: DependsOn(v, dep) means v needs dep.
package dag
