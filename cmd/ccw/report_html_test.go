package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages/score"
)

// TestReportHTMLEscapes: generated code and feedback are hostile; the
// report shows them as text, never as markup, and diffs a turn's code to
// the previous turn's.
func TestReportHTMLEscapes(t *testing.T) {
	dir := t.TempDir()
	evil := "</pre><script>alert(1)</script><img src=x onerror=alert(2)>"
	fb := "<b>not bold</b>"
	rows := []schemas.Turn{
		{Experiment: "e", Combination: "c", Stage: "score.turn", TaskID: "T/0", Turn: 0, Status: "fail", Code: "def f():\n    return 0\n",
			Tests: []schemas.Test{{Name: "test_x", Status: "fail", Message: evil}}},
		{Experiment: "e", Combination: "c", Stage: "score.turn", TaskID: "T/0", Turn: 1, Status: "pass", Passed: true,
			Code: "def f():\n    return 1 # " + evil + "\n", FeedbackExecution: &fb},
	}
	if err := schemas.Turns.Write(filepath.Join(dir, "turns.parquet"), rows); err != nil {
		t.Fatal(err)
	}
	spec := score.Spec{Experiment: "e", Combinations: []score.Combination{{Name: "c", Label: "w/ <C>"}}, Turns: 1, Stage: "score.turn"}
	run := schemas.Run{Experiment: schemas.RunExperiment{Name: "e"}}
	spec.Record(&run.Experiment)
	if err := schemas.WriteJSON(filepath.Join(dir, "run.json"), run); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "r.html")
	runCCW(t, "report", dir, "--html", page)
	html := readString(t, page)
	if strings.Contains(html, "<script>alert") || strings.Contains(html, "<img") || strings.Contains(html, "<b>not bold") || strings.Contains(html, "w/ <C>") {
		t.Error("hostile text reached the page as markup")
	}
	for _, s := range []string{"&lt;/pre&gt;&lt;script&gt;", `<span class="del">-     return 0</span>`, `<span class="add">+     return 1 # &lt;/pre&gt;`,
		"execution feedback shown", "&lt;b&gt;not bold", `data-task="T/0"`} {
		if !strings.Contains(html, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	if strings.Count(html, "<script>") != 1 {
		t.Errorf("%d script elements, want only the search's", strings.Count(html, "<script>"))
	}
}
