package sandbox

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// harnessSource is the Python program that runs jobs: harness.py (fresh
// mode, and run_job, the part both modes share), worker.py (warm mode), and
// the call of main.
var harnessSource = harnessPy + "\n" + workerPy + "\nmain()\n"

//go:embed harness.py
var harnessPy string

//go:embed worker.py
var workerPy string

// HarnessDigest is the sha256 of harness.py, the program every mode runs
// jobs with. It is part of every sandbox Identity: a change to the harness
// changes results. worker.py is not in it, as the workers mode is not in
// the Identity: warm workers are held to a fresh interpreter's verdicts
// (TestWarmPreloadLooksFresh, TestBigCodeBenchAll), so that work on them
// does not invalidate every cached execution.
var HarnessDigest = func() string {
	sum := sha256.Sum256([]byte(harnessPy))
	return hex.EncodeToString(sum[:])
}()

// wireJob is a job as the harness reads it.
type wireJob struct {
	Nonce   string           `json:"nonce"`
	Code    string           `json:"code"`
	Test    string           `json:"test"`
	Alarm   float64          `json:"alarm"`
	Rlimits map[string]int64 `json:"rlimits,omitempty"`
	Cwd     string           `json:"cwd,omitempty"` // where to chdir first, when the backend cannot start us there
}

// workerHead is what a warm worker reads to fork the child of one job: the
// job itself goes to the child on a pipe the worker never reads.
type workerHead struct {
	Dir     string           `json:"dir"`               // the run's work dir
	Tmp     string           `json:"tmp"`               // its TMPDIR
	Cgroups int              `json:"cgroups,omitempty"` // cgroup.procs fds after the three of the job, which the child joins
	Rlimits map[string]int64 `json:"rlimits,omitempty"`
	// Want lists the top-level packages the job's code and tests import
	// (Imports): the child keeps the warnings filters and environment
	// of the preloaded packages they reach, as a fresh interpreter would.
	Want []string `json:"want,omitempty"`
}

// encodeJob renders the job the harness reads for j under limits l; the
// harness sets rlimits itself (as = address space, added to the size the
// process already has).
func encodeJob(j Job, l Limits, nonce string, rlimits map[string]int64, cwd string) ([]byte, error) {
	return encodeWire(wireJob{Nonce: nonce, Code: j.Code, Test: j.Test, Alarm: l.alarm().Seconds(), Rlimits: rlimits, Cwd: cwd})
}

func encodeWire(w wireJob) ([]byte, error) {
	b, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("encode job: %w", err)
	}
	return b, nil
}
