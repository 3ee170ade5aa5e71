// Package pytool owns the trusted Python helpers that read generated code
// without running it: the `compile` stage kind (ConvCodeWorld's syntax
// check, protocol.md §2.2 step 3), the `sanitize` stage kind (BigCodeBench's
// sanitizer rebuilt on Python's ast, §2.1) and the `test_methods` stage kind
// (the partial-test selection of ConvCodeWorld's extract_methods.py, §2.2
// step 5).
//
// All three run in the sandbox's own interpreter, so that a traceback or an
// ast detail is the one the code will meet when it executes. A long-lived
// helper process per interpreter (helper.py, embedded) answers JSON-line
// requests; it is started on first use, replaced when it dies, stopped when
// idle, and never executes the code it reads (compile() and ast only). Since
// compile() of hostile source can still burn CPU and memory, each helper
// runs under an address-space limit, a CPU-time limit per request and a
// wall-clock deadline, and inputs are capped in size; a request that
// exceeds a limit gets a result that says which (field limit), not a hang.
//
// For the local backend the helper is the sandbox's python started with
// -I -S and an empty environment; for the docker backend it runs in one
// long-lived container of the sandbox's image (no network, read-only root,
// no capabilities, unprivileged user) that it talks to over the attached
// stdin and stdout.
//
// It does not own executing code (stages/sandbox, stages/execute), getting
// code out of a model's answer (stages/extract) or rendering feedback.
package pytool
