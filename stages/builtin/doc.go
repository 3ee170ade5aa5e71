// Package builtin assembles the stage kinds, resource blocks, task sources
// and functions that ship with ccw into one stages.Set, explicitly (no
// init() registration). Only cmd/ccw and integration tests import it.
package builtin
