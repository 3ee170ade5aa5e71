// Package sandbox owns running untrusted Python: the embedded harness that
// runs a solution and its unittest module as one module with BigCodeBench's
// semantics (per-test results by method name, ALL for a module-level
// failure, pass / fail / timeout), the causes BigCodeBench cannot tell apart
// (crash, oom, killed by a limit), the limits, the backends that isolate a
// run, the sandbox resource block (Block) and the Result a run produces.
//
// Backends:
//
//   - local, fresh: a new /usr/bin/python3 -I per run, started by a hidden
//     re-exec of the current binary (MaybeReexec) that becomes the init of
//     new PID, network, mount, IPC and UTS namespaces, joins the run's
//     cgroup (v2, or v1 memory+pids+freezer), mounts a private /tmp,
//     /var/tmp and /dev/shm, remounts the rest read-only, brings up
//     loopback, sets rlimits and runs python as nobody. Its exit ends the
//     namespace, so nothing the program started outlives the run. Whatever
//     the kernel does not allow is left out with one warning (Warnings).
//   - local, warm (the default): one worker per slot, started the same way,
//     imports the heavy libraries once and forks a child per run that
//     becomes what a fresh interpreter would be; workers are replaced after
//     Config.Recycle runs or when a run leaked anything.
//   - docker: a container per run through the Docker Engine API, labelled
//     with its owner and always removed.
//
// A Sandbox runs one Job at a time per slot; the Result is an outcome to
// cache, an error an infrastructure failure. The package knows nothing
// about pipelines, cache keys or Parquet: the execute stage and the engine
// own those.
package sandbox
