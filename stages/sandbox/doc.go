// Package sandbox owns running untrusted Python: the embedded harness that
// runs a solution and its unittest module as one module with BigCodeBench's
// semantics, the backends that isolate it (local, docker), the limits, and
// the Result it produces. It knows nothing about pipelines or caching.
package sandbox
