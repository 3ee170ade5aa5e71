package schemas

// MetricsVersion is the version of the metrics table. Bump it (and say why
// in the change) whenever a column is added, removed or changes meaning.
// Version 2 added ci_low and ci_high (bootstrap confidence intervals);
// version 3 added static (ConvCodeBench) rows: protocol = static, pass@1
// from turn 1 only, options compensate_init=false.
const MetricsVersion = "3"

// Metric names in the metric column, in the order rows are written.
const (
	MetricPass1           = "pass@1"            // Pass@1 at a turn as the original computes it: passed at that turn or at turn 0
	MetricPass1Cumulative = "pass@1_cumulative" // Pass@1 at a turn counting a pass at any turn up to it
	MetricMRR             = "mrr"               // mean of 1/(1+first passing turn), 0 for a task that never passes
	MetricRecall          = "recall"            // share of tasks that pass at some turn
)

// Protocol column values: ConvCodeWorld (live) and ConvCodeBench (static)
// metrics.
const (
	ProtocolLive   = "live"
	ProtocolStatic = "static"
)

// Metric is one row of metrics.parquet: one figure of one feedback
// combination, in long format. Values are fractions (0.352, not 35.2);
// reports scale and round them.
type Metric struct {
	Experiment  string   `arrow:"experiment" json:"experiment" doc:"experiment block name"`
	Protocol    string   `arrow:"protocol" json:"protocol" doc:"live (ConvCodeWorld) or static (ConvCodeBench: pass@1 from turn 1, no pass@1_cumulative)"`
	Stage       string   `arrow:"stage" json:"stage" doc:"the score stage whose turn rows were scored"`
	Combination string   `arrow:"combination" json:"combination" doc:"feedback combination, as in turns.parquet"`
	Label       string   `arrow:"label" json:"label" doc:"the combination's column label in reports"`
	Metric      string   `arrow:"metric" json:"metric" doc:"pass@1 | pass@1_cumulative | mrr | recall"`
	Turn        *int32   `arrow:"turn" json:"turn" doc:"turn of a pass@1 value; null for mrr and recall"`
	Value       *float64 `arrow:"value" json:"value" doc:"mean over the averaged tasks, a fraction; null when no task is averaged"`
	CILow       *float64 `arrow:"ci_low" json:"ci_low" doc:"lower end of the 95% percentile bootstrap interval over tasks (run.json metrics.bootstrap says how); null with value"`
	CIHigh      *float64 `arrow:"ci_high" json:"ci_high" doc:"upper end of the bootstrap interval; null with value"`
	Tasks       int64    `arrow:"tasks" json:"tasks" doc:"tasks averaged: total - excluded - dropped"`
	Total       int64    `arrow:"total" json:"total" doc:"tasks in the task set"`
	Excluded    int64    `arrow:"excluded" json:"excluded" doc:"tasks left out as calibration exclusions (excluded rows)"`
	Dropped     int64    `arrow:"dropped" json:"dropped" doc:"tasks left out because turn 0 passed (exclude_init_solved; mrr and recall only, as the original)"`
	Missing     int64    `arrow:"missing" json:"missing" doc:"averaged tasks lacking a row at a turn that the stop rule does not explain (incomplete run); that turn carries an earlier pass, else counts as not passing"`
	Options     string   `arrow:"options" json:"options" doc:"options that changed the computation, comma-separated (exclude_init_solved, compensate_init=false); empty for defaults"`
}

// Metrics is the metrics.parquet table.
var Metrics = NewTable("metrics", MetricsVersion, "one row per (experiment, protocol, combination, metric, turn)", Metric{})
