package schemas

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// RunVersion is the version of the run.json layout.
const RunVersion = "1"

// Run is run.json: what was run, with what, and how it went.
type Run struct {
	SchemaVersion string            `json:"schema_version"`
	CCWVersion    string            `json:"ccw_version"`
	ConfigFile    string            `json:"config_file"`
	ConfigSHA256  string            `json:"config_sha256"`
	ConfigSource  string            `json:"config_source" doc:"the pipeline file as it was run"`
	Variables     map[string]any    `json:"variables"`
	Experiment    RunExperiment     `json:"experiment"`
	Resources     map[string]any    `json:"resources" doc:"identity of each sandbox/model block used"`
	Tables        map[string]string `json:"tables"`
	Started       time.Time         `json:"started"`
	Finished      time.Time         `json:"finished"`
	WallSeconds   float64           `json:"wall_seconds"`
	Summary       RunSummary        `json:"summary"`
	Host          map[string]any    `json:"host"`
}

// RunExperiment describes the experiment of a run.
type RunExperiment struct {
	Name  string   `json:"name"`
	Tasks RunTasks `json:"tasks"`
	// Protocol is the protocol the experiment ran (a built-in name or a
	// path), empty when it declared its own stages.
	Protocol string `json:"protocol,omitempty"`
	// Combinations are the combinations run, in order (none when the
	// pipeline declares none).
	Combinations []RunCombination `json:"combinations,omitempty"`
	// Turns is the turn budget (turns after turn 0).
	Turns    int        `json:"turns"`
	Stages   []RunStage `json:"stages"`
	Excluded []string   `json:"excluded" doc:"task ids left out of scoring"`
}

// RunCombination is one combination of a run.
type RunCombination struct {
	Name       string         `json:"name"`
	Label      string         `json:"label"`
	Attributes map[string]any `json:"attributes"`
}

// RunTasks describes the task set.
type RunTasks struct {
	Block     string         `json:"block"`
	Source    string         `json:"source"`
	Split     string         `json:"split"`
	Digest    string         `json:"digest"`
	Origin    string         `json:"origin"`
	Selection map[string]any `json:"selection"`
	Count     int            `json:"count"`
}

// RunStage names one stage of the experiment.
type RunStage struct {
	Addr      string `json:"addr"`
	CacheType string `json:"cache_type"`
	// Turn is "0" for the stages of turn 0 and "t" for those of every
	// later turn (empty without turns).
	Turn  string   `json:"turn,omitempty"`
	Needs []string `json:"needs"`
	// Prev are the stages of the previous turn it reads.
	Prev []string `json:"prev,omitempty"`
	// PerCombination is set when the stage runs once per combination.
	PerCombination bool `json:"per_combination,omitempty"`
}

// RunSummary counts what the walk did.
type RunSummary struct {
	Vertices int            `json:"vertices"`
	Cached   int            `json:"cached"`
	Ran      int            `json:"ran"`
	Failed   int            `json:"failed"`
	Skipped  int            `json:"skipped"`
	NotRun   int            `json:"not_run"`
	Statuses map[string]int `json:"statuses"`
	Complete bool           `json:"complete"`
	// Stages counts, per stage, instances by what happened to them in this
	// run: cached, ran, failed, blocked (after a failure).
	Stages map[string]map[string]int `json:"stages"`
}

// WriteJSON writes v as indented JSON to path atomically.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// ReadRun reads run.json from a results directory.
func ReadRun(dir string) (*Run, error) {
	b, err := os.ReadFile(filepath.Join(dir, "run.json"))
	if err != nil {
		return nil, err
	}
	var r Run
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "run.json"), err)
	}
	return &r, nil
}
