package main

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages/score"
)

// table is a header and rows of cells, as the original hands them to
// PrettyTable.
type table struct {
	header []string
	rows   [][]string
}

// prettyTable renders t like Python's PrettyTable with align = "c" and
// its default style: a frame of '+', '-' and '|', one space of padding, a
// rule under the header, every cell centred the way str.center does
// (with an odd surplus, the extra space goes right of odd-width text and
// left of even-width text). Widths count runes; PrettyTable counts
// terminal columns, which differ only for wide characters.
func prettyTable(t table) string {
	widths := make([]int, len(t.header))
	for i, h := range t.header {
		widths[i] = utf8.RuneCountInString(h)
	}
	for _, r := range t.rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	rule := func() {
		b.WriteByte('+')
		for _, w := range widths {
			b.WriteString(strings.Repeat("-", w+2))
			b.WriteByte('+')
		}
		b.WriteByte('\n')
	}
	line := func(cells []string) {
		b.WriteByte('|')
		for i, w := range widths {
			b.WriteString(" " + center(cells[i], w) + " |")
		}
		b.WriteByte('\n')
	}
	rule()
	line(t.header)
	rule()
	for _, r := range t.rows {
		line(r)
	}
	rule()
	return b.String()
}

func center(s string, width int) string {
	n := utf8.RuneCountInString(s)
	excess := width - n
	left := excess / 2
	if excess%2 == 1 && n%2 == 0 {
		left++
	}
	return strings.Repeat(" ", left) + s + strings.Repeat(" ", excess-left)
}

// markdownTable renders t as a GitHub table with centred columns.
func markdownTable(t table) string {
	var b strings.Builder
	row := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + strings.ReplaceAll(c, "|", `\|`) + " |")
		}
		b.WriteString("\n")
	}
	row(t.header)
	b.WriteString("|")
	for range t.header {
		b.WriteString(":---:|")
	}
	b.WriteString("\n")
	for _, r := range t.rows {
		row(r)
	}
	return b.String()
}

// column is one combination of a metrics table, in report order.
type column struct {
	name, label string
	byKey       map[string]schemas.Metric // metric or metric@turn
}

func metricKey(metric string, turn *int32) string {
	if turn == nil {
		return metric
	}
	return metric + "@" + strconv.Itoa(int(*turn))
}

// columns groups metric rows by combination, in the order the rows list
// them (the spec's order), and returns the turns of the pass@1 rows.
func columns(ms []schemas.Metric) ([]*column, []int32) {
	var cols []*column
	byName := map[string]*column{}
	var turns []int32
	for _, m := range ms {
		c := byName[m.Combination]
		if c == nil {
			c = &column{name: m.Combination, label: m.Label, byKey: map[string]schemas.Metric{}}
			byName[m.Combination] = c
			cols = append(cols, c)
		}
		c.byKey[metricKey(m.Metric, m.Turn)] = m
		if m.Turn != nil && !slices.Contains(turns, *m.Turn) {
			turns = append(turns, *m.Turn)
		}
	}
	slices.Sort(turns)
	return cols, turns
}

// cell is a metric as the original prints it, or "" when there is none.
func (c *column) cell(metric string, turn *int32) string {
	m, ok := c.byKey[metricKey(metric, turn)]
	if !ok {
		return ""
	}
	return score.FormatPercent(m.Value)
}

// metricTables builds the original's Table 1 (Pass@1 per turn, the
// literal or the cumulative flavour) and Table 2 (MRR and Recall).
func metricTables(ms []schemas.Metric, cumulative bool) (table, table) {
	cols, turns := columns(ms)
	pass := schemas.MetricPass1
	if cumulative {
		pass = schemas.MetricPass1Cumulative
	}
	t1 := table{header: []string{"Turn"}}
	t2 := table{header: []string{"Metrics"}}
	for _, c := range cols {
		t1.header = append(t1.header, c.label)
		t2.header = append(t2.header, c.label)
	}
	for _, turn := range turns {
		r := []string{strconv.Itoa(int(turn))}
		for _, c := range cols {
			r = append(r, c.cell(pass, &turn))
		}
		t1.rows = append(t1.rows, r)
	}
	for _, m := range []struct{ name, title string }{{schemas.MetricMRR, "MRR"}, {schemas.MetricRecall, "Recall"}} {
		r := []string{m.title}
		for _, c := range cols {
			r = append(r, c.cell(m.name, nil))
		}
		t2.rows = append(t2.rows, r)
	}
	return t1, t2
}
