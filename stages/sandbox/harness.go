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
}

// encodeJob renders the job the harness reads for j under limits l.
// harnessLimits says whether the harness itself must set the rlimits
// (when nothing before it did).
func encodeJob(j Job, l Limits, nonce string, harnessLimits bool) ([]byte, error) {
	w := wireJob{Nonce: nonce, Code: j.Code, Test: j.Test, Alarm: l.alarm().Seconds()}
	if harnessLimits {
		w.Rlimits = rlimitsFor(l)
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("encode job: %w", err)
	}
	return b, nil
}

// rlimitsFor lists the rlimits that enforce l, by their resource names
// (as = address space, added to the process's size when set; -1 = unset).
func rlimitsFor(l Limits) map[string]int64 {
	m := map[string]int64{"core": 0}
	if l.Memory > 0 {
		m["as"] = l.Memory
	}
	if l.FileSize > 0 {
		m["fsize"] = l.FileSize
	}
	if l.Pids > 0 {
		m["nproc"] = l.Pids
	}
	return m
}
