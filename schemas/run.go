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
	// Shard is set in the run.json of one shard of a run (ccw run --shard).
	Shard *RunShard `json:"shard,omitempty"`
	// Parts lists the shards a merged run.json was joined from (ccw merge).
	Parts []RunPart `json:"parts,omitempty"`
}

// RunShard says which part of a run a shard's results are.
type RunShard struct {
	Index int `json:"index" doc:"0-based"`
	Count int `json:"count"`
	// Tasks are the shard's tasks, in the order of the whole task set.
	Tasks []RunShardTask `json:"tasks"`
}

// RunShardTask is one task of a shard and its place in the whole set.
type RunShardTask struct {
	ID    string `json:"id"`
	Index int    `json:"index" doc:"task_index: position in the selected task set"`
}

// RunPart is one shard a merged run was joined from.
type RunPart struct {
	Index    int            `json:"index"`
	Dir      string         `json:"dir"`
	Tasks    int            `json:"tasks"`
	Started  time.Time      `json:"started"`
	Finished time.Time      `json:"finished"`
	Complete bool           `json:"complete"`
	Host     map[string]any `json:"host"`
}

// RunExperiment describes the experiment of a run.
type RunExperiment struct {
	Name  string   `json:"name"`
	Tasks RunTasks `json:"tasks"`
	// Protocol is the protocol the experiment ran (a built-in name or a
	// path), empty when it declared its own stages.
	Protocol string     `json:"protocol,omitempty"`
	Stages   []RunStage `json:"stages"`
	Excluded []string   `json:"excluded" doc:"task ids left out of scoring"`

	// Combinations are the feedback combinations of a multi-turn
	// experiment, in report column order; empty for single-turn runs.
	Combinations []RunCombination `json:"combinations,omitempty"`
	// Turns is the turn budget N of a multi-turn experiment (turns 0..N).
	Turns int `json:"turns,omitempty"`
	// Metrics says how metrics.parquet was computed; nil when it was not
	// written.
	Metrics *RunMetrics `json:"metrics,omitempty"`
}

// RunCombination is one feedback combination of a multi-turn experiment.
type RunCombination struct {
	Name  string `json:"name" doc:"short name, the combination column of turns.parquet"`
	Label string `json:"label" doc:"column label in reports, e.g. w/ CF EF (full TC) SEF"`
	// Attributes are the combination block's other attributes.
	Attributes map[string]any `json:"attributes,omitempty"`
}

// RunMetrics records the choices behind metrics.parquet.
type RunMetrics struct {
	Protocol          string `json:"protocol" doc:"live or static"`
	Stage             string `json:"stage" doc:"the score stage whose rows were scored (static: the target's)"`
	ExcludeInitSolved bool   `json:"exclude_init_solved" doc:"tasks solved at turn 0 left out of mrr and recall"`
	RerunSolved       bool   `json:"rerun_solved" doc:"solved tasks keep a row at every later turn (fidelity = original)"`
	// Bootstrap says how the ci_low and ci_high columns were computed.
	Bootstrap string `json:"bootstrap,omitempty" doc:"how ci_low and ci_high were computed"`
	// Reference and CompensateInit are set for static metrics only.
	Reference      string `json:"reference,omitempty" doc:"static: the score stage whose rows are the reference's statuses"`
	CompensateInit *bool  `json:"compensate_init,omitempty" doc:"static: the target's own turn 0 counts in mrr (the original's default)"`
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
