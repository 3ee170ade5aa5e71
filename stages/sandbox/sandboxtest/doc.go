// Package sandboxtest owns what tests of the sandbox and of the stages that
// use it share: finding Debian's python3 and its BigCodeBench libraries,
// finding the shared BigCodeBench data, and loading its tasks and the
// reference verdicts. It is for tests only; nothing in ccw imports it.
package sandboxtest
