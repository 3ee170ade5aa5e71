package sandbox

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// harnessSource is the Python program that runs a job; see harness.py for
// its protocol.
//
//go:embed harness.py
var harnessSource string

// HarnessDigest is the sha256 of the embedded harness. It is part of every
// sandbox Identity: a change to the harness changes results.
var HarnessDigest = func() string {
	sum := sha256.Sum256([]byte(harnessSource))
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

// encodeJob renders the job the harness reads for j under limits l; the
// harness sets rlimits itself (as = address space, added to the size the
// process already has).
func encodeJob(j Job, l Limits, nonce string, rlimits map[string]int64, cwd string) ([]byte, error) {
	w := wireJob{Nonce: nonce, Code: j.Code, Test: j.Test, Alarm: l.alarm().Seconds(), Rlimits: rlimits, Cwd: cwd}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("encode job: %w", err)
	}
	return b, nil
}
