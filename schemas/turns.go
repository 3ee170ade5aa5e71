package schemas

// TurnsVersion is the version of the turns table. A row depends only on
// results (never on whether they came from the cache in this run), so a
// rerun, a resumed run and an --offline replay write the same file. Bump it (and say why in
// the change) whenever a column is added, removed or changes meaning.
// Version 2 added the stage column.
const TurnsVersion = "2"

// Test is one test method's outcome inside a turn row.
type Test struct {
	Name    string `arrow:"name"`
	Status  string `arrow:"status"`
	Message string `arrow:"message"`
}

// Turn is one row of turns.parquet: one task at one turn of one feedback
// combination of one experiment.
type Turn struct {
	Experiment  string `arrow:"experiment" doc:"experiment block name"`
	Combination string `arrow:"combination" doc:"feedback combination, empty for single-turn pipelines"`
	Stage       string `arrow:"stage" doc:"the score stage (kind.name) that wrote the row"`
	TaskID      string `arrow:"task_id"`
	TaskIndex   int32  `arrow:"task_index" doc:"position of the task in the selected task set"`
	Turn        int32  `arrow:"turn" doc:"0 for the initial code"`

	Code       string `arrow:"code" doc:"the program that was executed"`
	CodeSHA256 string `arrow:"code_sha256"`
	Compiled   *bool  `arrow:"compiled" doc:"whether the code compiled; null when not checked"`

	Status      string `arrow:"status" doc:"pass | fail | timeout | crash | oom | killed"`
	Passed      bool   `arrow:"passed"`
	TestsRun    int32  `arrow:"tests_run"`
	TestsFailed int32  `arrow:"tests_failed"`
	Tests       []Test `arrow:"tests" doc:"every test that reported, in run order"`
	Limit       string `arrow:"limit" doc:"the limit that ended the run, if any"`
	Output      string `arrow:"output" doc:"captured output, cut at the sandbox's output limit"`

	FeedbackCompilation *string `arrow:"feedback_compilation"`
	FeedbackExecution   *string `arrow:"feedback_execution"`
	FeedbackVerbal      *string `arrow:"feedback_verbal"`

	Model     *string  `arrow:"model" doc:"the model that wrote the code, null for reference solutions"`
	Simulator *string  `arrow:"simulator"`
	TokensIn  *int64   `arrow:"tokens_in"`
	TokensOut *int64   `arrow:"tokens_out"`
	LatencyMS *int64   `arrow:"latency_ms"`
	CostUSD   *float64 `arrow:"cost_usd"`

	Excluded bool   `arrow:"excluded" doc:"left out of scoring (known-failing reference in this environment)"`
	ExecKey  string `arrow:"exec_key" doc:"cache key of the execution; ccw cache explain shows its inputs"`
	ExecMS   int64  `arrow:"exec_ms" doc:"wall time of the execution when it ran (timing, not a result)"`
}

// Turns is the turns.parquet table.
var Turns = NewTable("turns", TurnsVersion, "one row per (experiment, combination, task, turn)", Turn{})
