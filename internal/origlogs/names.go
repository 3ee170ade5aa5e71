package origlogs

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Combination is one of the original's nine feedback combinations
// (protocol.md §3).
type Combination struct {
	// Name is ccw's name (the combination column of turns.parquet).
	Name string
	// Label is the column label the original prints.
	Label string
	// Token is the part of the original's file names that names it,
	// without the simulator suffix.
	Token string
	// Execution is none, partial or full; Verbal none, novice or expert.
	Execution, Verbal string
}

// Combinations are the nine, in the order the original prints them.
var Combinations = []Combination{
	{"cf", "w/ CF", "CF", "none", "none"},
	{"cf_ef_partial", "w/ CF EF (partial TC)", "CF_EF_UNIT", "partial", "none"},
	{"cf_ef_full", "w/ CF EF (full TC)", "CF_EF_FULL", "full", "none"},
	{"cf_snf", "w/ CF SNF", "CF_SNF", "none", "novice"},
	{"cf_ef_partial_snf", "w/ CF EF (partial TC) SNF", "CF_EF_UNIT_SNF", "partial", "novice"},
	{"cf_ef_full_snf", "w/ CF EF (full TC) SNF", "CF_EF_FULL_SNF", "full", "novice"},
	{"cf_sef", "w/ CF SEF", "CF_SEF", "none", "expert"},
	{"cf_ef_partial_sef", "w/ CF EF (partial TC) SEF", "CF_EF_UNIT_SEF", "partial", "expert"},
	{"cf_ef_full_sef", "w/ CF EF (full TC) SEF", "CF_EF_FULL_SEF", "full", "expert"},
}

// CombinationByName returns the combination ccw calls name.
func CombinationByName(name string) (Combination, bool) {
	for _, c := range Combinations {
		if c.Name == name {
			return c, true
		}
	}
	return Combination{}, false
}

func combinationByToken(token string) (Combination, bool) {
	for _, c := range Combinations {
		if c.Token == token {
			return c, true
		}
	}
	return Combination{}, false
}

// Marker strings of the original's denylist (run.py).
const (
	DenyLog       = "# CRITICAL ERROR WHILE EXECUTING THE GENERATED CODE"
	Commentized   = "#### ALREADY COMMENTIZED ####"
	calibration   = "\n    pass\n"
	datasetPrefix = "bigcodebench_"
)

// TurnFile is the name of the original's jsonl file of a model's turn
// (1..10) in a combination (run.py get_compact_gen_results_fn): the
// model's name with "/" as "_", the combination's token, "_by_" and the
// simulator's name when a verbal combination's simulator is another
// model, and "_ITER=i" from turn 2 on.
func TurnFile(model string, c Combination, simulator string, turn int) string {
	name := datasetPrefix + strings.ReplaceAll(model, "/", "_") + "_" + c.Token
	if c.Verbal != "none" && simulator != "" && simulator != model {
		name += "_by_" + strings.ReplaceAll(simulator, "/", "_")
	}
	if turn > 1 {
		name += "_ITER=" + strconv.Itoa(turn)
	}
	return name + ".jsonl"
}

// InitialFile is the name of the original's turn-0 file of a model
// (bigcodebench's sanitized, calibrated samples): the model's name with
// "/" as "--", and the backend (vllm or openai).
func InitialFile(model, backend string) string {
	return strings.ReplaceAll(model, "/", "--") + "--bigcodebench-instruct--" + backend + "-0-1-sanitized-calibrated.jsonl"
}

// EvalFile is the evaluation file of a jsonl file.
func EvalFile(jsonl string) string {
	return strings.TrimSuffix(jsonl, ".jsonl") + "_eval_results.json"
}

var (
	turnName    = regexp.MustCompile(`^bigcodebench_(.+?)_(CF(?:_EF_(?:UNIT|FULL))?(?:_(?:SNF|SEF|CHEATED))?)(?:_by_(.+?))?(?:_ITER=([0-9]+))?\.jsonl$`)
	initialName = regexp.MustCompile(`^(.+)--bigcodebench-instruct--(vllm|openai)-0-1-sanitized-calibrated\.jsonl$`)
)

// turnFileName is a parsed turn file name.
type turnFileName struct {
	model     string // with "_" for "/"
	token     string
	simulator string // with "_" for "/"; "" when the simulator is the model
	turn      int
}

// parseTurnFile parses a base name of a turn file; ok is false for other
// files.
func parseTurnFile(base string) (turnFileName, bool) {
	m := turnName.FindStringSubmatch(base)
	if m == nil {
		return turnFileName{}, false
	}
	f := turnFileName{model: m[1], token: m[2], simulator: m[3], turn: 1}
	if m[4] != "" {
		n, err := strconv.Atoi(m[4])
		if err != nil || n < 2 {
			return turnFileName{}, false // _ITER=1 is never written
		}
		f.turn = n
	}
	return f, true
}

// parseInitialFile parses a base name of a turn-0 file: the model's name
// ("--" read back as "/") and the backend.
func parseInitialFile(base string) (model, backend string, ok bool) {
	m := initialName.FindStringSubmatch(base)
	if m == nil {
		return "", "", false
	}
	return strings.ReplaceAll(m[1], "--", "/"), m[2], true
}

// underscored is a model name as turn file names spell it.
func underscored(model string) string { return strings.ReplaceAll(model, "/", "_") }

// taskOrder compares BigCodeBench ids by their number (the original's
// get_keys order), then as text.
func taskOrder(a, b string) int {
	na, ea := taskNumber(a)
	nb, eb := taskNumber(b)
	switch {
	case ea == nil && eb == nil && na != nb:
		if na < nb {
			return -1
		}
		return 1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func taskNumber(id string) (int, error) {
	i := strings.LastIndexByte(id, '/')
	if i < 0 {
		return 0, fmt.Errorf("no number")
	}
	return strconv.Atoi(id[i+1:])
}
