package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/ccw-dev/ccw/engine/shard"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages/score"
)

// runReport is one results directory of a multi-run report.
type runReport struct {
	dir        string
	name       string // the row label: the model, made unique
	model, ref string // the evaluated model; the reference's (static)
	protocol   string
	turns      int
	byKey      map[string]map[string]schemas.Metric // combination → metric key → row
	labels     map[string]string                    // combination → label
	order      []string                             // combinations in column order
}

// multiTable is one table of a multi-run report: a metric of one
// protocol, a row per run.
type multiTable struct {
	Protocol string     `json:"protocol"`
	Metric   string     `json:"metric"`
	Turn     *int32     `json:"turn,omitempty"`
	Caption  string     `json:"caption"`
	Header   []string   `json:"header"`
	Rows     [][]string `json:"rows"`
}

// correlation is the agreement of a static and a live ranking of the same
// models in one combination.
type correlation struct {
	Combination    string   `json:"combination"`
	Label          string   `json:"label"`
	Models         []string `json:"models"`
	MRRSpearman    *float64 `json:"mrr_spearman"`
	MRRKendall     *float64 `json:"mrr_kendall"`
	RecallSpearman *float64 `json:"recall_spearman"`
	RecallKendall  *float64 `json:"recall_kendall"`
}

// multiRun reports several runs: per protocol, one table per metric
// (Pass@1 at the last turn, MRR, Recall) with a row per model; when
// static and live runs of the same models are given, the rank
// correlations of their MRR and Recall per combination.
func (c *reportCmd) multiRun(e *env) error {
	if c.Format == "ids" {
		return fmt.Errorf("--format ids lists the tasks of one run; give one directory")
	}
	dirs, err := shard.Expand(c.Dirs)
	if err != nil {
		return err
	}
	var runs []*runReport
	for _, dir := range dirs {
		r, err := c.loadRunReport(dir)
		if err != nil {
			return err
		}
		runs = append(runs, r)
	}
	protocols := []string{}
	for _, p := range []string{schemas.ProtocolLive, schemas.ProtocolStatic} {
		for _, r := range runs {
			if r.protocol == p && !slices.Contains(protocols, p) {
				protocols = append(protocols, p)
			}
		}
	}
	var tables []multiTable
	for _, p := range protocols {
		var group []*runReport
		for _, r := range runs {
			if r.protocol == p {
				group = append(group, r)
			}
		}
		uniqueNames(group)
		tables = append(tables, c.protocolTables(p, group)...)
	}
	for i := range tables {
		tables[i].Caption = fmt.Sprintf("Table %d. %s", i+1, tables[i].Caption)
	}
	var corr []correlation
	var corrNotes []string
	if len(protocols) == 2 {
		corr, corrNotes = correlations(runs)
	}
	switch c.Format {
	case "json":
		b, err := json.MarshalIndent(map[string]any{"tables": tables, "correlations": corr, "notes": corrNotes}, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, string(b))
		return nil
	case "csv":
		w := csv.NewWriter(e.stdout)
		w.Write([]string{"protocol", "model", "dir", "combination", "label", "metric", "turn", "value"})
		for _, r := range runs {
			for _, comb := range r.order {
				for _, key := range slices.Sorted(mapKeys(r.byKey[comb])) {
					m := r.byKey[comb][key]
					turn, value := "", ""
					if m.Turn != nil {
						turn = strconv.Itoa(int(*m.Turn))
					}
					if m.Value != nil {
						value = strconv.FormatFloat(*m.Value, 'g', -1, 64)
					}
					w.Write([]string{r.protocol, r.model, r.dir, comb, r.labels[comb], m.Metric, turn, value})
				}
			}
		}
		w.Flush()
		return w.Error()
	}
	corrTable := correlationTable(corr)
	for i, t := range tables {
		tb := table{header: t.Header, rows: t.Rows}
		if c.Format == "markdown" {
			fmt.Fprintf(e.stdout, "%s\n%s\n", markdownTable(tb), t.Caption)
		} else {
			fmt.Fprint(e.stdout, prettyTable(tb))
			fmt.Fprintln(e.stdout, t.Caption)
		}
		if i < len(tables)-1 || len(corr) > 0 {
			fmt.Fprintln(e.stdout)
		}
	}
	if len(corr) > 0 {
		caption := fmt.Sprintf("Table %d. Rank correlation of ConvCodeBench (static) and ConvCodeWorld (live) over the models both ran: Spearman's rho and Kendall's tau-b.", len(tables)+1)
		if c.Format == "markdown" {
			fmt.Fprintf(e.stdout, "%s\n%s\n", markdownTable(corrTable), caption)
		} else {
			fmt.Fprint(e.stdout, prettyTable(corrTable))
			fmt.Fprintln(e.stdout, caption)
		}
	}
	for _, n := range corrNotes {
		fmt.Fprintln(e.stdout, "note: "+n)
	}
	return nil
}

// loadRunReport reads one run's metrics: metrics.parquet, or computed
// from turns.parquet when absent or the flags ask for other options.
func (c *reportCmd) loadRunReport(dir string) (*runReport, error) {
	rows, err := schemas.ReadRows[schemas.Turn](schemas.Turns, filepath.Join(dir, "turns.parquet"))
	if err != nil {
		return nil, fmt.Errorf("%s is not a ccw results directory: %w", dir, err)
	}
	run, err := schemas.ReadRun(dir)
	if err != nil {
		return nil, fmt.Errorf("%s is not a ccw results directory: %w", dir, err)
	}
	spec := score.SpecFromRun(run)
	if len(spec.Combinations) == 0 {
		spec = specFromRows(spec, rows)
	}
	if len(spec.Combinations) == 0 {
		return nil, fmt.Errorf("%s is a single-turn run: a multi-run report compares multi-turn runs", dir)
	}
	r := &runReport{dir: dir, protocol: schemas.ProtocolLive, turns: spec.Turns, byKey: map[string]map[string]schemas.Metric{}, labels: map[string]string{}}
	if r.turns == 0 {
		r.turns = score.DefaultTurns
	}
	want := spec
	want.ExcludeInitSolved = spec.ExcludeInitSolved || c.ExcludeInitSolved
	if spec.Protocol == schemas.ProtocolStatic {
		r.protocol = schemas.ProtocolStatic
		want.NoCompensateInit = spec.NoCompensateInit || c.NoCompensateInit
		r.model = stageModel(rows, spec.Experiment, spec.Stage, run.Experiment.Name)
		r.ref = stageModel(rows, spec.Experiment, spec.Reference, "the reference")
	} else {
		r.model = modelOf(rows, spec.Experiment, run.Experiment.Name)
	}
	if c.Model != "" {
		return nil, fmt.Errorf("--model names the model of one run; with several directories each run's model is read from its rows")
	}
	var ms []schemas.Metric
	if sameOptions(want, spec) {
		ms, err = schemas.ReadRows[schemas.Metric](schemas.Metrics, filepath.Join(dir, "metrics.parquet"))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	if ms == nil {
		if ms, err = score.Metrics(rows, want); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "turns.parquet"), err)
		}
	}
	for _, m := range ms {
		if r.byKey[m.Combination] == nil {
			r.byKey[m.Combination] = map[string]schemas.Metric{}
			r.labels[m.Combination] = m.Label
			r.order = append(r.order, m.Combination)
		}
		r.byKey[m.Combination][metricKey(m.Metric, m.Turn)] = m
	}
	return r, nil
}

// uniqueNames labels each run by its model, adding the directory where
// two runs of a group share a model.
func uniqueNames(group []*runReport) {
	count := map[string]int{}
	for _, r := range group {
		count[r.model]++
	}
	for _, r := range group {
		r.name = r.model
		if count[r.model] > 1 {
			r.name = fmt.Sprintf("%s (%s)", r.model, r.dir)
		}
	}
}

func (c *reportCmd) protocolTables(protocol string, group []*runReport) []multiTable {
	var combos []string
	labels := map[string]string{}
	turns := 0
	refs := []string{}
	for _, r := range group {
		for _, comb := range r.order {
			if !slices.Contains(combos, comb) {
				combos = append(combos, comb)
				labels[comb] = r.labels[comb]
			}
		}
		turns = max(turns, r.turns)
		if r.ref != "" && !slices.Contains(refs, r.ref) {
			refs = append(refs, r.ref)
		}
	}
	bench := "ConvCodeWorld"
	if protocol == schemas.ProtocolStatic {
		bench = "ConvCodeBench"
		if len(refs) == 1 {
			bench += " (ref. model: " + refs[0] + ")"
		} else {
			bench += " (ref. models: " + strings.Join(refs, ", ") + ")"
		}
	}
	pass := schemas.MetricPass1
	if c.Cumulative && protocol == schemas.ProtocolLive {
		pass = schemas.MetricPass1Cumulative
	}
	// Pass@1 at each run's last turn (their budgets may differ).
	lastTurn := map[*runReport]*int32{}
	budgets := map[int]bool{}
	for _, r := range group {
		lastTurn[r], budgets[r.turns] = ptrTo(int32(r.turns)), true
	}
	passTitle := "Pass@1"
	if pass == schemas.MetricPass1Cumulative {
		passTitle += " (cumulative)"
	}
	if len(budgets) == 1 {
		passTitle += fmt.Sprintf(" at turn %d", turns)
	} else {
		passTitle += " at each run's last turn"
	}
	metrics := []struct {
		metric, title string
		last          bool
	}{
		{pass, passTitle, true},
		{schemas.MetricMRR, "MRR", false},
		{schemas.MetricRecall, "Recall", false},
	}
	models := fmt.Sprintf("%d models", len(group))
	if len(group) == 1 {
		models = "1 model"
	}
	var out []multiTable
	for _, m := range metrics {
		t := multiTable{Protocol: protocol, Metric: m.metric, Header: []string{"Model"},
			Caption: fmt.Sprintf("%s results of %s on %s.", m.title, models, bench)}
		if m.last && len(budgets) == 1 {
			t.Turn = ptrTo(int32(turns))
		}
		for _, comb := range combos {
			t.Header = append(t.Header, labels[comb])
		}
		for _, r := range group {
			row := []string{r.name}
			for _, comb := range combos {
				cell := ""
				var turn *int32
				if m.last {
					turn = lastTurn[r]
				}
				if v, ok := r.byKey[comb][metricKey(m.metric, turn)]; ok {
					cell = score.FormatPercent(v.Value)
				}
				row = append(row, cell)
			}
			t.Rows = append(t.Rows, row)
		}
		out = append(out, t)
	}
	return out
}

// correlations pairs the static and live runs of each model (by name)
// and correlates their MRR and Recall per combination both have.
func correlations(runs []*runReport) ([]correlation, []string) {
	var notes []string
	pick := func(protocol string) map[string]*runReport {
		out := map[string]*runReport{}
		dup := map[string]bool{}
		for _, r := range runs {
			if r.protocol != protocol {
				continue
			}
			if _, seen := out[r.model]; seen {
				dup[r.model] = true
			}
			out[r.model] = r
		}
		for m := range dup {
			delete(out, m)
			notes = append(notes, fmt.Sprintf("%s has several %s runs: left out of the correlations.", m, protocol))
		}
		return out
	}
	live, static := pick(schemas.ProtocolLive), pick(schemas.ProtocolStatic)
	var models []string
	for m := range live {
		if _, ok := static[m]; ok {
			models = append(models, m)
		}
	}
	slices.Sort(models)
	for m := range live {
		if _, ok := static[m]; !ok {
			notes = append(notes, fmt.Sprintf("%s has a live run but no static one: left out of the correlations.", m))
		}
	}
	for m := range static {
		if _, ok := live[m]; !ok {
			notes = append(notes, fmt.Sprintf("%s has a static run but no live one: left out of the correlations.", m))
		}
	}
	slices.Sort(notes)
	if len(models) == 0 {
		return nil, notes
	}
	var combos []string
	for _, r := range runs {
		for _, comb := range r.order {
			if !slices.Contains(combos, comb) {
				combos = append(combos, comb)
			}
		}
	}
	var out []correlation
	for _, comb := range combos {
		var have []string
		for _, m := range models {
			if _, ok := live[m].byKey[comb]; !ok {
				continue
			}
			if _, ok := static[m].byKey[comb]; ok {
				have = append(have, m)
			}
		}
		if len(have) == 0 {
			continue
		}
		co := correlation{Combination: comb, Label: static[have[0]].labels[comb], Models: have}
		for _, k := range []struct {
			metric  string
			sp, ken **float64
		}{{schemas.MetricMRR, &co.MRRSpearman, &co.MRRKendall}, {schemas.MetricRecall, &co.RecallSpearman, &co.RecallKendall}} {
			var x, y []float64
			for _, m := range have {
				lv, sv := live[m].byKey[comb][k.metric].Value, static[m].byKey[comb][k.metric].Value
				if lv == nil || sv == nil {
					continue
				}
				x, y = append(x, *lv), append(y, *sv)
			}
			if v, err := score.Spearman(x, y); err == nil {
				*k.sp = &v
			}
			if v, err := score.KendallTauB(x, y); err == nil {
				*k.ken = &v
			}
		}
		out = append(out, co)
	}
	return out, notes
}

func correlationTable(corr []correlation) table {
	t := table{header: []string{"Combination", "Models", "MRR Spearman", "MRR Kendall", "Recall Spearman", "Recall Kendall"}}
	f := func(v *float64) string {
		if v == nil {
			return "n/a"
		}
		return strconv.FormatFloat(*v, 'f', 2, 64)
	}
	for _, c := range corr {
		t.rows = append(t.rows, []string{c.Label, strconv.Itoa(len(c.Models)), f(c.MRRSpearman), f(c.MRRKendall), f(c.RecallSpearman), f(c.RecallKendall)})
	}
	return t
}

func ptrTo[T any](v T) *T { return &v }

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
