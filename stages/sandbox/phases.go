package sandbox

import "time"

// Phases says where one execution's wall time went, as ccw saw it: each
// is the time between two moments the parent observed (a message of the
// warm worker, a frame of the harness arriving), so they add up to
// Result.Duration. A phase a backend cannot observe is zero and its time
// is in the next one. Phases are for benchmarks and profiles: they are
// not part of the result's value and never cached.
type Phases struct {
	// Dispatch: a worker taken (or started) or the process spawned, the
	// run's cgroup made, the job sent.
	Dispatch time.Duration
	// Fork: the warm worker made the work dir and forked the child (until
	// its "started" message).
	Fork time.Duration
	// Start: the child made itself the job's process (namespaces, limits,
	// user, capabilities, seccomp) and the harness read the job and got
	// ready; for a fresh interpreter its whole start.
	Start time.Duration
	// Imports: the solution and test module ran, which is mostly its
	// imports, until the suite was loaded.
	Imports time.Duration
	// Tests: the tests ran.
	Tests time.Duration
	// Teardown: from the harness's last frame to the result: the process
	// ended, its cgroup was emptied and removed, the streams drained.
	Teardown time.Duration
}

// marks are the moments a run's phases lie between; zero when not seen.
type marks struct {
	start, sent, forked, module, suite, done, end time.Time
}

// phases turns the marks into durations; a missing mark gives its phase
// zero and its time to the next phase seen.
func (m marks) phases() Phases {
	var p Phases
	last := m.start
	step := func(t time.Time) time.Duration {
		if t.IsZero() || t.Before(last) {
			return 0
		}
		d := t.Sub(last)
		last = t
		return d
	}
	p.Dispatch = step(m.sent)
	p.Fork = step(m.forked)
	p.Start = step(m.module)
	p.Imports = step(m.suite)
	p.Tests = step(m.done)
	p.Teardown = step(m.end)
	return p
}
