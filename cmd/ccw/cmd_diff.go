package main

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/ccw-dev/ccw/internal/textdiff"
	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages/score"
)

type diffCmd struct {
	A      string `arg:"" name:"a" help:"First results directory." type:"existingdir"`
	B      string `arg:"" name:"b" help:"Second results directory." type:"existingdir"`
	Format string `default:"text" enum:"text,json" help:"Output format: text or json."`
	All    bool   `help:"List every flipped task (text lists the first 50 per combination)."`
}

// runDiff is what ccw diff found: configuration differences and, per
// combination both runs have, the paired comparison.
type runDiff struct {
	A, B         string
	Config       []configDiff        `json:"config"`
	Combinations []comboDiff         `json:"combinations"`
	OnlyIn       map[string][]string `json:"only_in,omitempty"` // combinations in one run only, by run
	Notes        []string            `json:"notes,omitempty"`
}

// configDiff is one configuration input that differs.
type configDiff struct {
	Area string `json:"area"` // models, prompts, sandbox, tasks, variables, protocol, stages, config file, ccw
	Path string `json:"path"`
	A    string `json:"a"`
	B    string `json:"b"`
}

// comboDiff compares one combination over the tasks both runs scored.
type comboDiff struct {
	Name  string `json:"combination"`
	Label string `json:"label"`
	Tasks int    `json:"tasks"` // paired tasks
	Turn  int    `json:"turn"`  // the last turn both runs have
	// Pass@1 at Turn (the original's formula), MRR and Recall, each with
	// the values of A and B and the paired bootstrap interval of B - A.
	Metrics []pairedMetric `json:"metrics"`
	// OnlyA and OnlyB count the tasks passing at Turn in one run only;
	// McNemarP is the exact McNemar test of those counts.
	OnlyA    int     `json:"only_a"`
	OnlyB    int     `json:"only_b"`
	McNemarP float64 `json:"mcnemar_p"`
	Flips    []flip  `json:"flips"`
}

type pairedMetric struct {
	Metric string  `json:"metric"`
	A      float64 `json:"a"`
	B      float64 `json:"b"`
	Diff   float64 `json:"diff"`
	Low    float64 `json:"ci_low"`
	High   float64 `json:"ci_high"`
}

// flip is a task whose outcome differs at some turn: its histories (one
// character per turn from 0: P passed, F failed, ? no row) and the turns.
type flip struct {
	Task  string `json:"task"`
	A     string `json:"a"`
	B     string `json:"b"`
	Turns []int  `json:"turns"`
}

func (c *diffCmd) Run(e *env) error {
	a, err := readResults(c.A)
	if err != nil {
		return err
	}
	b, err := readResults(c.B)
	if err != nil {
		return err
	}
	d := compareRuns(a, b)
	if c.Format == "json" {
		out, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, string(out))
		return nil
	}
	d.text(e.stdout, c.All)
	return nil
}

func compareRuns(a, b *results) *runDiff {
	d := &runDiff{A: a.dir, B: b.dir, OnlyIn: map[string][]string{}}
	d.Config = configDiffs(a, b)
	bIndex := map[string]int{}
	for i, c := range b.out.Combinations {
		bIndex[c.Name] = i
	}
	aNames := map[string]bool{}
	for ca, comb := range a.out.Combinations {
		aNames[comb.Name] = true
		cb, ok := bIndex[comb.Name]
		if !ok {
			d.OnlyIn[a.dir] = append(d.OnlyIn[a.dir], comb.Name)
			continue
		}
		d.Combinations = append(d.Combinations, compareCombination(a, b, ca, cb))
	}
	for _, comb := range b.out.Combinations {
		if !aNames[comb.Name] {
			d.OnlyIn[b.dir] = append(d.OnlyIn[b.dir], comb.Name)
		}
	}
	if len(d.OnlyIn) == 0 {
		d.OnlyIn = nil
	}
	ta, tb := taskSet(a), taskSet(b)
	onlyA, onlyB := 0, 0
	for id := range ta {
		if !tb[id] {
			onlyA++
		}
	}
	for id := range tb {
		if !ta[id] {
			onlyB++
		}
	}
	if onlyA+onlyB > 0 {
		d.Notes = append(d.Notes, fmt.Sprintf("%d task(s) scored only in A and %d only in B are left out of the paired comparison", onlyA, onlyB))
	}
	if a.lastTurn() != b.lastTurn() {
		d.Notes = append(d.Notes, fmt.Sprintf("A has turns 0..%d and B turns 0..%d: both are compared up to turn %d", a.lastTurn(), b.lastTurn(), min(a.lastTurn(), b.lastTurn())))
	}
	return d
}

// taskSet is the scored (not excluded) tasks of a run.
func taskSet(r *results) map[string]bool {
	out := map[string]bool{}
	for t, id := range r.out.Tasks {
		if !r.out.Excluded[t] {
			out[id] = true
		}
	}
	return out
}

func compareCombination(a, b *results, ca, cb int) comboDiff {
	comb := a.out.Combinations[ca]
	n := min(a.lastTurn(), b.lastTurn())
	cd := comboDiff{Name: comb.Name, Label: comb.Label, Turn: n}
	bTask := map[string]int{}
	for t, id := range b.out.Tasks {
		if !b.out.Excluded[t] {
			bTask[id] = t
		}
	}
	var pa, pb, ma, mb, ra, rb []float64
	for ta, id := range a.out.Tasks {
		tb, ok := bTask[id]
		if !ok || a.out.Excluded[ta] {
			continue
		}
		sa, sb := a.out.S[ca][ta][:n+1], b.out.S[cb][tb][:n+1]
		pass := func(s []bool) bool { return s[n] || s[0] }
		pa, pb = append(pa, b2f(pass(sa))), append(pb, b2f(pass(sb)))
		ma, mb = append(ma, rr(sa)), append(mb, rr(sb))
		ra, rb = append(ra, b2f(slices.Contains(sa, true))), append(rb, b2f(slices.Contains(sb, true)))
		switch {
		case pass(sa) && !pass(sb):
			cd.OnlyA++
		case !pass(sa) && pass(sb):
			cd.OnlyB++
		}
		f := flip{Task: id, A: history(sa, a.out.Seen[ca][ta]), B: history(sb, b.out.Seen[cb][tb])}
		for i := 0; i <= n; i++ {
			if sa[i] != sb[i] {
				f.Turns = append(f.Turns, i)
			}
		}
		if len(f.Turns) > 0 {
			cd.Flips = append(cd.Flips, f)
		}
	}
	cd.Tasks = len(pa)
	cd.McNemarP = score.McNemar(cd.OnlyA, cd.OnlyB)
	for _, m := range []struct {
		name string
		a, b []float64
	}{{fmt.Sprintf("pass@1 turn %d", n), pa, pb}, {"mrr", ma, mb}, {"recall", ra, rb}} {
		pm := pairedMetric{Metric: m.name, A: mean(m.a), B: mean(m.b)}
		pm.Diff = pm.B - pm.A
		pm.Low, pm.High, _ = score.PairedInterval(m.a, m.b)
		cd.Metrics = append(cd.Metrics, pm)
	}
	return cd
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// rr is the reciprocal rank of a task: 1/(1 + first passing turn), 0 if none.
func rr(s []bool) float64 {
	if i := slices.Index(s, true); i >= 0 {
		return 1 / float64(1+i)
	}
	return 0
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return score.NumpyMean(xs)
}

// history renders a task's turns: P passed, F failed, ? no row.
func history(s, seen []bool) string {
	var b strings.Builder
	for i, p := range s {
		switch {
		case !seen[i]:
			b.WriteByte('?')
		case p:
			b.WriteByte('P')
		default:
			b.WriteByte('F')
		}
	}
	return b.String()
}

// configDiffs lists the configuration inputs that differ between two
// runs: from run.json the ccw version, the config file, variables,
// resources (models and sandboxes), tasks, protocol, turns, exclusions
// and stage versions; from calls.parquet the turn-0 prompts.
func configDiffs(a, b *results) []configDiff {
	var out []configDiff
	add := func(area string, ma, mb map[string]string) {
		keys := map[string]bool{}
		for k := range ma {
			keys[k] = true
		}
		for k := range mb {
			keys[k] = true
		}
		for _, k := range sortedKeys(keys) {
			va, okA := ma[k]
			vb, okB := mb[k]
			if va == vb && okA == okB {
				continue
			}
			if !okA {
				va = "(absent)"
			}
			if !okB {
				vb = "(absent)"
			}
			out = append(out, configDiff{Area: area, Path: k, A: va, B: vb})
		}
	}
	ra, rb := a.run, b.run
	add("ccw", map[string]string{"version": ra.CCWVersion}, map[string]string{"version": rb.CCWVersion})
	if ra.ConfigSHA256 != rb.ConfigSHA256 {
		out = append(out, configDiff{Area: "config file", Path: "source", A: ra.ConfigFile + " " + shortHex(ra.ConfigSHA256), B: rb.ConfigFile + " " + shortHex(rb.ConfigSHA256)})
		for _, l := range textdiff.Hunks(textdiff.Lines(ra.ConfigSource, rb.ConfigSource), 1) {
			text := "..."
			if l.Kind != 0 {
				text = string(rune(l.Kind)) + " " + l.Text
			}
			out = append(out, configDiff{Area: "config file", Path: "line", A: text})
		}
	}
	add("variables", flatten("var", ra.Variables), flatten("var", rb.Variables))
	for _, area := range []string{"model", "sandbox"} {
		pick := func(res map[string]any) map[string]string {
			m := map[string]any{}
			for k, v := range res {
				if strings.HasPrefix(k, area+".") {
					m[k] = v
				}
			}
			return flatten("", m)
		}
		name := area + "s"
		if area == "sandbox" {
			name = "sandbox"
		}
		add(name, pick(ra.Resources), pick(rb.Resources))
	}
	ta, tb := ra.Experiment.Tasks, rb.Experiment.Tasks
	taskMap := func(t schemas.RunTasks) map[string]string {
		m := flatten("selection", t.Selection)
		m["source"], m["split"], m["digest"], m["count"] = t.Source, t.Split, t.Digest, fmt.Sprint(t.Count)
		return m
	}
	add("tasks", taskMap(ta), taskMap(tb))
	add("tasks", map[string]string{"excluded": strings.Join(ra.Experiment.Excluded, ",")}, map[string]string{"excluded": strings.Join(rb.Experiment.Excluded, ",")})
	add("protocol", map[string]string{"protocol": ra.Experiment.Protocol, "turns": fmt.Sprint(ra.Experiment.Turns)},
		map[string]string{"protocol": rb.Experiment.Protocol, "turns": fmt.Sprint(rb.Experiment.Turns)})
	stageTypes := func(r *schemas.Run) map[string]string {
		m := map[string]string{}
		for _, s := range r.Experiment.Stages {
			m[s.Addr+"@"+s.Turn] = s.CacheType
		}
		return m
	}
	add("stages", stageTypes(ra), stageTypes(rb))
	out = append(out, promptDiffs(a, b)...)
	return out
}

// promptDiffs compares the prompts of the turn-0 calls (the only prompts
// that do not depend on earlier answers) task by task.
func promptDiffs(a, b *results) []configDiff {
	if a.calls == nil || b.calls == nil {
		return nil
	}
	digests := func(calls []schemas.Call) map[string]string {
		m := map[string]string{}
		for _, c := range calls {
			if c.Turn == 0 {
				m[c.Stage+" "+c.TaskID+" "+fmt.Sprint(c.Sample)] = c.PromptDigest
			}
		}
		return m
	}
	da, db := digests(a.calls), digests(b.calls)
	var differ []string
	both := 0
	for k, v := range da {
		if w, ok := db[k]; ok {
			both++
			if v != w {
				differ = append(differ, k)
			}
		}
	}
	if len(differ) == 0 {
		return nil
	}
	sort.Strings(differ)
	return []configDiff{{Area: "prompts", Path: "turn-0 prompts",
		A: fmt.Sprintf("%d of %d differ", len(differ), both), B: "first: " + differ[0]}}
}

// flatten turns a JSON-like value into dotted paths and scalar texts.
func flatten(prefix string, v any) map[string]string {
	out := map[string]string{}
	var walk func(p string, v any)
	walk = func(p string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(joinPath(p, k), e)
			}
		case []any:
			// Lists compare whole: elements that shift would make every
			// later one look changed.
			b, _ := json.Marshal(x)
			if len(b) > 60 {
				sum := sha256.Sum256(b)
				out[p] = fmt.Sprintf("[%d elements, sha256:%x]", len(x), sum[:6])
			} else {
				out[p] = string(b)
			}
		default:
			b, _ := json.Marshal(x)
			out[p] = string(b)
		}
	}
	if v != nil {
		// Values from run.json are already JSON-like; others are
		// normalised through JSON.
		raw, _ := json.Marshal(v)
		var norm any
		_ = json.Unmarshal(raw, &norm)
		walk(prefix, norm)
	}
	return out
}

func joinPath(p, k string) string {
	if p == "" {
		return k
	}
	return p + "." + k
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func shortHex(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// text renders the diff for a terminal.
func (d *runDiff) text(w io.Writer, all bool) {
	fmt.Fprintf(w, "A: %s\nB: %s\n\n", d.A, d.B)
	if len(d.Config) == 0 {
		fmt.Fprintln(w, "configuration: no input differs (models, prompts, sandbox, tasks, variables, protocol, stage versions)")
	} else {
		fmt.Fprintln(w, "configuration inputs that differ (A → B):")
		for _, c := range d.Config {
			if c.Path == "line" {
				fmt.Fprintf(w, "  %-12s %s\n", "", strings.TrimRight(c.A+c.B, "\n"))
				continue
			}
			fmt.Fprintf(w, "  %-12s %s: %s → %s\n", c.Area, c.Path, truncate(c.A, 60), truncate(c.B, 60))
		}
	}
	for name, combs := range d.OnlyIn {
		fmt.Fprintf(w, "combinations only in %s: %s\n", name, strings.Join(combs, ", "))
	}
	if len(d.Combinations) == 0 {
		fmt.Fprintln(w, "\nno combination in common")
		return
	}
	fmt.Fprintf(w, "\npaired comparison per combination (B − A over the tasks both scored; 95%% paired bootstrap intervals; McNemar exact test on Pass@1 at turn %d):\n", d.Combinations[0].Turn)
	fmt.Fprintf(w, "  %-28s %5s  %-30s %-30s %-30s %5s %5s %9s\n", "combination", "tasks", "Pass@1", "MRR", "Recall", "A✓B✗", "A✗B✓", "McNemar p")
	for _, c := range d.Combinations {
		cells := make([]string, len(c.Metrics))
		for i, m := range c.Metrics {
			cells[i] = fmt.Sprintf("%.1f→%.1f %+.1f [%+.1f, %+.1f]", 100*m.A, 100*m.B, 100*m.Diff, 100*m.Low, 100*m.High)
		}
		fmt.Fprintf(w, "  %-28s %5d  %-30s %-30s %-30s %5d %5d %9.4g\n", truncate(c.Label, 28), c.Tasks, cells[0], cells[1], cells[2], c.OnlyA, c.OnlyB, c.McNemarP)
	}
	for _, c := range d.Combinations {
		if len(c.Flips) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s: %d task(s) flipped (turns 0..%d: P passed, F failed, ? no row):\n", c.Label, len(c.Flips), c.Turn)
		for i, f := range c.Flips {
			if i == 50 && !all {
				fmt.Fprintf(w, "  ... and %d more (--all lists them)\n", len(c.Flips)-50)
				break
			}
			turns := make([]string, len(f.Turns))
			for j, t := range f.Turns {
				turns[j] = fmt.Sprint(t)
			}
			fmt.Fprintf(w, "  %-24s %s → %s  turns %s\n", f.Task, f.A, f.B, strings.Join(turns, ","))
		}
	}
	for _, n := range d.Notes {
		fmt.Fprintln(w, "note: "+n)
	}
}
