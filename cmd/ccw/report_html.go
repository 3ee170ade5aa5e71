package main

import (
	"fmt"
	"html"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ccw-dev/ccw/internal/textdiff"
	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages/score"
)

// visual writes the HTML report and/or the curves plot of one or more runs.
func (c *reportCmd) visual(e *env) error {
	var runs []*reportRun
	for _, dir := range c.Dirs {
		r, err := readResults(dir)
		if err != nil {
			return err
		}
		ms, err := score.Metrics(r.rows, r.spec)
		if err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
		runs = append(runs, &reportRun{results: r, metrics: ms, name: runName(dir, r, len(c.Dirs))})
	}
	if c.Plot != "" {
		if err := writePlot(c.Plot, runs); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "curves: %s\n", c.Plot)
	}
	if c.HTML != "" {
		page := htmlReport(runs)
		if err := os.WriteFile(c.HTML, []byte(page), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "report: %s (%s)\n", c.HTML, humanBytes(int64(len(page))))
	}
	return nil
}

// reportRun is one run of a visual report with its metrics.
type reportRun struct {
	*results
	metrics []schemas.Metric
	name    string
}

// runName labels a run in legends: the experiment, and the directory when
// several runs are shown.
func runName(dir string, r *results, n int) string {
	if n == 1 {
		return r.run.Experiment.Name
	}
	return r.run.Experiment.Name + " (" + filepath.Base(filepath.Clean(dir)) + ")"
}

// palette colours combinations; runs differ by dash pattern.
var palette = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"}
var dashes = []string{"", "6 3", "2 3", "8 3 2 3"}

// point is one pass@1 value of a curve.
type point struct {
	turn          int
	value, lo, hi float64
}

// curves returns, per combination of r in order, the Pass@1 (the
// original's formula) per turn with its interval.
func (r *reportRun) curves() map[string][]point {
	out := map[string][]point{}
	for _, m := range r.metrics {
		if m.Metric != schemas.MetricPass1 || m.Turn == nil || m.Value == nil || int(*m.Turn) > r.lastTurn() {
			continue
		}
		p := point{turn: int(*m.Turn), value: *m.Value, lo: *m.Value, hi: *m.Value}
		if m.CILow != nil && m.CIHigh != nil {
			p.lo, p.hi = *m.CILow, *m.CIHigh
		}
		out[m.Combination] = append(out[m.Combination], p)
	}
	return out
}

func (r *reportRun) metric(comb, name string) (schemas.Metric, bool) {
	for _, m := range r.metrics {
		if m.Combination == comb && m.Metric == name && m.Turn == nil {
			return m, true
		}
	}
	return schemas.Metric{}, false
}

func esc(s string) string { return html.EscapeString(s) }

const reportCSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:16px 24px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 7px;text-align:center}th{background:#f4f4f4}
.note{color:#555;font-size:12px}.legend span{display:inline-block;margin-right:14px;font-size:12px}
.sw{display:inline-block;width:22px;height:3px;vertical-align:middle;margin-right:4px}
svg text{font-size:11px;fill:#333}.grid{stroke:#e5e5e5}.axis{stroke:#555}
pre{background:#f8f8f8;border:1px solid #e2e2e2;padding:6px;overflow-x:auto;font-size:12px;margin:4px 0}
.add{background:#e6ffec;display:block}.del{background:#ffebe9;display:block}.gap{color:#999;display:block}
.P{color:#1a7f37;font-weight:bold}.F{color:#cf222e;font-weight:bold}.Q{color:#999}
details{margin:2px 0 2px 12px}summary{cursor:pointer}.task{border-top:1px solid #eee;padding:4px 0}
#search{font-size:14px;padding:4px 8px;width:320px}.hidden{display:none}
.tests td{text-align:left;font-size:12px}.fb{font-size:12px;white-space:pre-wrap;background:#fffbe6;border:1px solid #f0e0a0;padding:4px;margin:4px 0}
`

const reportJS = `
(function(){
  var box=document.getElementById('search');
  var tasks=document.querySelectorAll('section.task');
  var count=document.getElementById('shown');
  function filter(){
    var q=box.value.trim().toLowerCase();var n=0;
    for(var i=0;i<tasks.length;i++){
      var hit=q===''||tasks[i].getAttribute('data-task').toLowerCase().indexOf(q)>=0;
      tasks[i].classList.toggle('hidden',!hit);if(hit){n++}
    }
    count.textContent=n+' of '+tasks.length+' shown';
  }
  box.addEventListener('input',filter);filter();
})();
`

// htmlReport renders the whole report: one self-contained page.
func htmlReport(runs []*reportRun) string {
	var b strings.Builder
	title := "ccw report"
	if len(runs) == 1 {
		title += ": " + runs[0].name
	}
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>%s</title><style>%s</style></head><body>\n", esc(title), reportCSS)
	fmt.Fprintf(&b, "<h1>%s</h1>\n<table><tr><th>run</th><th>directory</th><th>tasks</th><th>turns</th><th>combinations</th><th>complete</th><th>ccw</th></tr>\n", esc(title))
	for _, r := range runs {
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td>%d</td><td>%d</td><td>%d</td><td>%v</td><td>%s</td></tr>\n", esc(r.name), esc(r.dir),
			len(r.out.Tasks), r.lastTurn(), len(r.out.Combinations), r.run.Summary.Complete, esc(r.run.CCWVersion))
	}
	b.WriteString("</table>\n")
	b.WriteString("<h2>Pass@1 per turn</h2>\n<p class=\"note\">Pass@1 at turn i counts a task that passed at turn i or at turn 0 (the original's formula); shaded: the 95% bootstrap interval over tasks.</p>\n")
	b.WriteString(curvesSVG(runs))
	b.WriteString("<h2>MRR and Recall</h2>\n<p class=\"note\">Bars: the value; whiskers: the 95% bootstrap interval over tasks (" + esc(score.BootstrapMethod) + ").</p>\n")
	b.WriteString(barsSVG(runs))
	b.WriteString("<h2>Tables</h2>\n")
	for _, r := range runs {
		t1, t2 := metricTables(r.metrics, false)
		fmt.Fprintf(&b, "<h3>%s</h3>\n%s<p class=\"note\">Table 1. Pass@1 per turn.</p>\n%s<p class=\"note\">Table 2. MRR and Recall.</p>\n", esc(r.name), htmlTable(t1), htmlTable(t2))
	}
	b.WriteString("<h2>Cost and tokens</h2>\n")
	b.WriteString(costTables(runs))
	b.WriteString("<h2>Tasks</h2>\n<p><input id=\"search\" type=\"search\" placeholder=\"search a task id, e.g. BigCodeBench/13\" aria-label=\"search tasks\"> <span id=\"shown\" class=\"note\"></span></p>\n")
	for _, r := range runs {
		taskViews(&b, r)
	}
	fmt.Fprintf(&b, "<script>%s</script>\n</body></html>\n", reportJS)
	return b.String()
}

func htmlTable(t table) string {
	var b strings.Builder
	b.WriteString("<table><tr>")
	for _, h := range t.header {
		fmt.Fprintf(&b, "<th>%s</th>", esc(h))
	}
	b.WriteString("</tr>\n")
	for _, r := range t.rows {
		b.WriteString("<tr>")
		for _, c := range r {
			fmt.Fprintf(&b, "<td>%s</td>", esc(c))
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table>\n")
	return b.String()
}

// chart geometry
const (
	chartW, chartH         = 860, 360
	padL, padR, padT, padB = 50, 20, 15, 35
)

func curvesSVG(runs []*reportRun) string {
	maxTurn := 0
	for _, r := range runs {
		maxTurn = max(maxTurn, r.lastTurn())
	}
	x := func(t int) float64 {
		if maxTurn == 0 {
			return padL
		}
		return padL + float64(t)*float64(chartW-padL-padR)/float64(maxTurn)
	}
	y := func(v float64) float64 { return padT + (1-v)*float64(chartH-padT-padB) }
	var b strings.Builder
	fmt.Fprintf(&b, "<svg id=\"curves\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"Pass@1 per turn\">\n", chartW, chartH, chartW, chartH)
	for v := 0; v <= 100; v += 20 {
		fmt.Fprintf(&b, "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d%%</text>\n", padL, chartW-padR, y(float64(v)/100), y(float64(v)/100), padL-6, y(float64(v)/100)+4, v)
	}
	for t := 0; t <= maxTurn; t++ {
		fmt.Fprintf(&b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>\n", x(t), chartH-padB+16, t)
	}
	fmt.Fprintf(&b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">turn</text>\n", (chartW+padL)/2, chartH-4)
	fmt.Fprintf(&b, "<line class=\"axis\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>\n", padL, chartW-padR, y(0), y(0))
	var legend strings.Builder
	for ri, r := range runs {
		cs := r.curves()
		for ci, comb := range r.out.Combinations {
			pts := cs[comb.Name]
			if len(pts) == 0 {
				continue
			}
			color, dash := palette[ci%len(palette)], dashes[ri%len(dashes)]
			var band, line strings.Builder
			for i, p := range pts {
				fmt.Fprintf(&band, "%s%.1f,%.1f", sep(i, " "), x(p.turn), y(p.hi))
			}
			for i := len(pts) - 1; i >= 0; i-- {
				fmt.Fprintf(&band, " %.1f,%.1f", x(pts[i].turn), y(pts[i].lo))
			}
			for i, p := range pts {
				cmd := "L"
				if i == 0 {
					cmd = "M"
				}
				fmt.Fprintf(&line, "%s%.1f %.1f ", cmd, x(p.turn), y(p.value))
			}
			fmt.Fprintf(&b, "<polygon points=\"%s\" fill=\"%s\" fill-opacity=\"0.05\" stroke=\"none\"/>\n", band.String(), color)
			label := comb.Label
			if len(runs) > 1 {
				label = r.name + ": " + label
			}
			fmt.Fprintf(&b, "<path class=\"curve\" data-run=\"%s\" data-combination=\"%s\" d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" stroke-dasharray=\"%s\"><title>%s</title></path>\n",
				esc(r.name), esc(comb.Name), strings.TrimSpace(line.String()), color, dash, esc(label))
			for _, p := range pts {
				fmt.Fprintf(&b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"><title>%s turn %d: %.1f%% [%.1f, %.1f]</title></circle>\n", x(p.turn), y(p.value), color, esc(label), p.turn, 100*p.value, 100*p.lo, 100*p.hi)
			}
			fmt.Fprintf(&legend, "<span><svg width=\"24\" height=\"6\"><line x1=\"0\" x2=\"24\" y1=\"3\" y2=\"3\" stroke=\"%s\" stroke-width=\"2\" stroke-dasharray=\"%s\"/></svg>%s</span>", color, dash, esc(label))
		}
	}
	b.WriteString("</svg>\n<div class=\"legend\">" + legend.String() + "</div>\n")
	return b.String()
}

func sep(i int, s string) string {
	if i == 0 {
		return ""
	}
	return s
}

func barsSVG(runs []*reportRun) string {
	type bar struct {
		label, color  string
		value, lo, hi float64
		metric        string
	}
	var groups [2][]bar
	for gi, metric := range []string{schemas.MetricMRR, schemas.MetricRecall} {
		for ri, r := range runs {
			for ci, comb := range r.out.Combinations {
				m, ok := r.metric(comb.Name, metric)
				if !ok || m.Value == nil {
					continue
				}
				bb := bar{label: comb.Label, color: palette[ci%len(palette)], value: *m.Value, lo: *m.Value, hi: *m.Value, metric: metric}
				if len(runs) > 1 {
					bb.label = r.name + ": " + bb.label
				}
				if m.CILow != nil {
					bb.lo, bb.hi = *m.CILow, *m.CIHigh
				}
				_ = ri
				groups[gi] = append(groups[gi], bb)
			}
		}
	}
	n := max(len(groups[0]), 1)
	rowH := 18
	h := padT + 2*(n*rowH+30) + 20
	labelW := 300
	w := chartW
	xs := func(v float64) float64 { return float64(labelW) + v*float64(w-labelW-padR-40) }
	var b strings.Builder
	fmt.Fprintf(&b, "<svg id=\"bars\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"MRR and Recall\">\n", w, h, w, h)
	yy := padT
	for gi, title := range []string{"MRR", "Recall"} {
		fmt.Fprintf(&b, "<text x=\"4\" y=\"%d\" font-weight=\"bold\">%s</text>\n", yy+12, title)
		yy += 20
		for _, bb := range groups[gi] {
			fmt.Fprintf(&b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>", labelW-6, yy+12, esc(truncate(bb.label, 48)))
			fmt.Fprintf(&b, "<rect class=\"bar\" data-metric=\"%s\" x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\" fill-opacity=\"0.75\"><title>%s %s: %.1f%% [%.1f, %.1f]</title></rect>",
				bb.metric, labelW, yy+3, xs(bb.value)-float64(labelW), rowH-6, bb.color, esc(bb.label), title, 100*bb.value, 100*bb.lo, 100*bb.hi)
			fmt.Fprintf(&b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#222\"/>", xs(bb.lo), xs(bb.hi), yy+rowH/2, yy+rowH/2)
			fmt.Fprintf(&b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#222\"/><line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#222\"/>",
				xs(bb.lo), xs(bb.lo), yy+4, yy+rowH-4, xs(bb.hi), xs(bb.hi), yy+4, yy+rowH-4)
			fmt.Fprintf(&b, "<text x=\"%.1f\" y=\"%d\">%.1f</text>\n", xs(bb.hi)+4, yy+12, 100*bb.value)
			yy += rowH
		}
		yy += 10
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// costTables sums calls.parquet per run, role and model, and per
// combination.
func costTables(runs []*reportRun) string {
	var b strings.Builder
	for _, r := range runs {
		fmt.Fprintf(&b, "<h3>%s</h3>\n", esc(r.name))
		if len(r.calls) == 0 {
			b.WriteString("<p class=\"note\">no model calls recorded (no calls.parquet).</p>\n")
			continue
		}
		type sum struct {
			calls, cached, retries, in, out, latency int64
			cost                                     float64
		}
		byModel, byCombo := map[string]*sum{}, map[string]*sum{}
		add := func(m map[string]*sum, k string, c schemas.Call) {
			s := m[k]
			if s == nil {
				s = &sum{}
				m[k] = s
			}
			s.calls++
			if c.Cached {
				s.cached++
			}
			s.retries += c.Retries
			s.in += c.TokensIn
			s.out += c.TokensOut
			s.latency += c.LatencyMS
			s.cost += c.CostUSD
		}
		for _, c := range r.calls {
			add(byModel, c.Role+" · "+c.Model, c)
			comb := c.Combination
			if comb == "" {
				comb = "(turn 0, shared)"
			}
			add(byCombo, comb, c)
		}
		render := func(head string, m map[string]*sum) {
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			fmt.Fprintf(&b, "<table><tr><th>%s</th><th>calls</th><th>from cache</th><th>retries</th><th>tokens in</th><th>tokens out</th><th>mean latency</th><th>cost (USD)</th></tr>\n", esc(head))
			for _, k := range keys {
				s := m[k]
				fmt.Fprintf(&b, "<tr><td>%s</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%d ms</td><td>%.4f</td></tr>\n",
					esc(k), s.calls, s.cached, s.retries, s.in, s.out, s.latency/max(1, s.calls), s.cost)
			}
			b.WriteString("</table>\n")
		}
		render("role · model", byModel)
		render("combination", byCombo)
	}
	return b.String()
}

// taskViews renders every task of r: per combination its turns, each with
// the code and its diff to the previous turn, the feedback shown at that
// turn and the per-test results.
func taskViews(b *strings.Builder, r *reportRun) {
	type key struct {
		comb, task string
		turn       int32
	}
	rows := map[key]*schemas.Turn{}
	stage := r.spec.Stage
	for i := range r.rows {
		row := &r.rows[i]
		if row.Experiment != r.spec.Experiment || (stage != "" && row.Stage != stage) {
			continue
		}
		rows[key{row.Combination, row.TaskID, row.Turn}] = row
	}
	for t, id := range r.out.Tasks {
		fmt.Fprintf(b, "<section class=\"task\" data-task=\"%s\" id=\"%s\"><b>%s</b> <span class=\"note\">%s</span>", esc(id), esc(anchor(r.name, id)), esc(id), esc(r.name))
		if r.out.Excluded[t] {
			b.WriteString(" <span class=\"note\">(excluded from scoring)</span>")
		}
		for ci, comb := range r.out.Combinations {
			fmt.Fprintf(b, "<details><summary>%s <code>%s</code></summary>\n", esc(comb.Label), historyHTML(r.out.S[ci][t][:r.lastTurn()+1], r.out.Seen[ci][t][:r.lastTurn()+1]))
			prevCode := ""
			for turn := 0; turn <= r.lastTurn(); turn++ {
				row := rows[key{comb.Name, id, int32(turn)}]
				if row == nil {
					continue
				}
				fmt.Fprintf(b, "<details><summary>turn %d: %s (%d/%d tests failed)</summary>\n", turn, esc(row.Status), row.TestsFailed, row.TestsRun)
				for _, fb := range []struct {
					name string
					text *string
				}{{"compilation feedback", row.FeedbackCompilation}, {"execution feedback", row.FeedbackExecution}, {"verbal feedback", row.FeedbackVerbal}} {
					if fb.text != nil && *fb.text != "" {
						fmt.Fprintf(b, "<div class=\"fb\"><b>%s shown</b>\n%s</div>\n", fb.name, esc(*fb.text))
					}
				}
				if turn == 0 || prevCode == "" {
					fmt.Fprintf(b, "<pre>%s</pre>\n", esc(row.Code))
				} else if row.Code == prevCode {
					b.WriteString("<p class=\"note\">code unchanged from the previous turn</p>\n")
				} else {
					b.WriteString("<pre class=\"diff\">")
					for _, l := range textdiff.Hunks(textdiff.Lines(prevCode, row.Code), 3) {
						switch l.Kind {
						case 0:
							b.WriteString("<span class=\"gap\">⋯</span>")
						case textdiff.Added:
							fmt.Fprintf(b, "<span class=\"add\">+ %s</span>", esc(l.Text))
						case textdiff.Removed:
							fmt.Fprintf(b, "<span class=\"del\">- %s</span>", esc(l.Text))
						default:
							fmt.Fprintf(b, "  %s\n", esc(l.Text))
						}
					}
					b.WriteString("</pre>\n")
				}
				prevCode = row.Code
				if len(row.Tests) > 0 {
					b.WriteString("<table class=\"tests\"><tr><th>test</th><th>status</th><th>message</th></tr>")
					for _, tc := range row.Tests {
						fmt.Fprintf(b, "<tr><td>%s</td><td>%s</td><td><pre>%s</pre></td></tr>", esc(tc.Name), esc(tc.Status), esc(truncate(tc.Message, 2000)))
					}
					b.WriteString("</table>\n")
				}
				b.WriteString("</details>\n")
			}
			b.WriteString("</details>\n")
		}
		b.WriteString("</section>\n")
	}
}

func historyHTML(s, seen []bool) string {
	var b strings.Builder
	for _, c := range history(s, seen) {
		switch c {
		case 'P':
			b.WriteString(`<span class="P">P</span>`)
		case 'F':
			b.WriteString(`<span class="F">F</span>`)
		default:
			b.WriteString(`<span class="Q">?</span>`)
		}
	}
	return b.String()
}

// anchor is an id for a task section.
func anchor(run, task string) string {
	r := strings.NewReplacer("/", "-", " ", "-", "(", "", ")", "")
	return "task-" + r.Replace(run) + "-" + r.Replace(task)
}
