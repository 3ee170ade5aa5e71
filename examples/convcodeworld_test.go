package examples_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/ccw-dev/ccw/internal/testenv"
	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages/llm/llmtest"
	"github.com/ccw-dev/ccw/stages/score"
	"github.com/ccw-dev/ccw/stages/score/scoretest"
)

// bcbTask is what the scripted models need of a BigCodeBench task.
type bcbTask struct {
	ID, Instruct, Complete, Canonical, CodePrompt string
}

func loadBCB(t testing.TB, hardOnly bool) []bcbTask {
	t.Helper()
	dir := testenv.SharedData(t)
	f, err := os.Open(filepath.Join(dir, "bigcodebench", "BigCodeBench-v0.1.0_hf.jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	hard := map[string]bool{}
	if hardOnly {
		b, err := os.ReadFile(filepath.Join(dir, "bigcodebench", "hard-task-ids.txt"))
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range strings.Fields(string(b)) {
			hard[id] = true
		}
	}
	var out []bcbTask
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r map[string]string
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if hardOnly && !hard[r["task_id"]] {
			continue
		}
		out = append(out, bcbTask{ID: r["task_id"], Instruct: r["instruct_prompt"], Complete: r["complete_prompt"],
			Canonical: r["canonical_solution"], CodePrompt: r["code_prompt"]})
	}
	return out
}

// Behaviour classes of the scripted coder, by a task's instruct prompt.
const (
	clsSolved      = iota // the first answer is the reference
	clsExecution          // fixed by a repair that saw execution feedback
	clsExpert             // fixed by a repair that saw the expert's feedback
	clsNever              // every answer is wrong
	clsSyntaxFixed        // the first repair breaks the syntax; a compile repair fixes it
	clsProse              // repairs answer without any code
	clsSyntaxStuck        // every repair breaks the syntax, compile repairs too
	clsProseFirst         // the first answer has no code; repairs with execution feedback fix it
	nClasses
)

// scriptedKinds are the prompt kinds of protocol.md §4.3 by their input
// fields (from the prompt's "Follow the following format." section).
var scriptedKinds = map[string]string{
	"Input,Previous Code,Compilation Feedback>Code":                             "refine_from_compilation_feedback",
	"Input,Previous Code,Execution Feedback>Code":                               "refine_from_execution_feedback",
	"Input,Previous Code,User Feedback>Code":                                    "refine_from_user_feedback",
	"Input,Previous Code,Execution Feedback,User Feedback>Code":                 "refine_from_execution_user_feedback",
	"Input,Ground Truth Code,Previous Code>User Feedback":                       "simulate_user_feedback",
	"Input,Ground Truth Code,Previous Code,Execution Feedback>User Feedback":    "execution_simulate_user_feedback",
	"Input,Previous Code,Compilation Feedback>User Feedback":                    "simulate_novice_feedback",
	"Input,Previous Code,Compilation Feedback,Execution Feedback>User Feedback": "execution_simulate_novice_feedback",
}

var fieldPrefixes = []string{"Input", "Previous Code", "Compilation Feedback", "Execution Feedback", "User Feedback", "Ground Truth Code", "Code"}

// parsePrompt finds a prompt's kind and its task's instruct prompt.
func parsePrompt(p string) (kind, input string) {
	if strings.HasPrefix(p, "Solve the following problem") {
		_, rest, _ := strings.Cut(p, "\n\n")
		return "instruct", strings.TrimSuffix(rest, "\n")
	}
	_, format, _ := strings.Cut(p, "Follow the following format.\n\n")
	vals := values(p)
	var fields []string
	output := false
	for _, line := range strings.Split(format, "\n") {
		if strings.HasPrefix(line, "Reasoning:") {
			output = true // the next field is the output; then the format ends
			continue
		}
		for _, f := range fieldPrefixes {
			if strings.HasPrefix(line, f+": ") {
				fields = append(fields, f)
			}
		}
		if output && len(fields) > 0 && strings.HasPrefix(line, fields[len(fields)-1]+": ") {
			break
		}
	}
	if len(fields) < 2 {
		return "", ""
	}
	key := strings.Join(fields[:len(fields)-1], ",") + ">" + fields[len(fields)-1]
	input = strings.TrimPrefix(vals, "Input: ")
	next := "\n\nPrevious Code:"
	if strings.Contains(key, "Ground Truth") {
		next = "\n\nGround Truth Code:"
	}
	input, _, _ = strings.Cut(input, next)
	return scriptedKinds[key], input
}

// values is the filled-in part of a structured prompt.
func values(p string) string { return p[strings.LastIndex(p, "\n\n---\n\n")+len("\n\n---\n\n"):] }

// scripted is the pair of scripted models: coder and simulated user.
type scripted struct {
	byInstruct map[string]bcbTask
	class      map[string]int
	mu         sync.Mutex
	kinds      map[string]string // prompt digest -> kind
	leaked     []string          // refine prompts that carried reference code
}

func newScripted(tasks []bcbTask) *scripted {
	s := &scripted{byInstruct: map[string]bcbTask{}, class: map[string]int{}, kinds: map[string]string{}}
	for i, t := range tasks {
		if _, dup := s.byInstruct[t.Instruct]; dup {
			continue // two tasks share one statement: the first one's answers serve both
		}
		s.byInstruct[t.Instruct] = t
		s.class[t.Instruct] = i % nClasses
	}
	return s
}

func promptDigest(text string) string {
	type message struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	}
	b, _ := json.Marshal([]message{{"user", text}})
	d := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(d[:])
}

func fence(code string) string { return "```python\n" + code + "\n```" }

const (
	expertMark = "EXPERT-FEEDBACK"
	noviceMark = "NOVICE-FEEDBACK"
)

func (s *scripted) answer(r llmtest.Request) string {
	text := r.Text()
	kind, input := parsePrompt(text)
	s.mu.Lock()
	s.kinds[promptDigest(text)] = kind
	s.mu.Unlock()
	t, ok := s.byInstruct[input]
	if !ok || kind == "" {
		return "I cannot tell which task this is."
	}
	cls := s.class[input]
	right := "Reasoning: I know this one.\n\nCode: " + fence(t.Complete+t.Canonical)
	wrong := "Reasoning: maybe.\n\nCode: " + fence(t.CodePrompt+"    return None")
	broken := "Reasoning: let me restructure.\n\nCode: " + fence("def task_func(:\n    return")
	prose := "Reasoning: I read the feedback, but I do not know how to fix this."
	switch kind {
	case "simulate_user_feedback", "execution_simulate_user_feedback":
		fb := "produce the user_feedback.\n\nUser Feedback: " + expertMark + ": the result is not what the task asks for."
		if cls == clsExpert {
			// A careless expert pastes the reference: the leak guard must
			// keep it from the coder.
			fb += "\nLike this:\n" + fence(t.Canonical) + "\nCheck the edge cases too."
		}
		return fb
	case "simulate_novice_feedback", "execution_simulate_novice_feedback":
		return "produce the user_feedback.\n\nUser Feedback: " + noviceMark + ": it does not work for me."
	case "instruct":
		switch cls {
		case clsSolved:
			return "Here you go.\n" + fence(t.Complete+t.Canonical)
		case clsProseFirst:
			return "I would need more details before writing this."
		}
		return fence(t.CodePrompt + "    return None")
	}
	if _, fb, ok := strings.Cut(values(text), "\n\nUser Feedback: "); ok && cls == clsExpert && strings.Contains(fb, expertMark) {
		// The expert pasted the reference with prose around it: the
		// coder must get the prose and not the code.
		if strings.Contains(fb, "```") || !strings.Contains(fb, "Check the edge cases too.") {
			s.mu.Lock()
			s.leaked = append(s.leaked, t.ID+" "+kind)
			s.mu.Unlock()
		}
	}
	if kind == "refine_from_compilation_feedback" {
		switch cls {
		case clsSyntaxFixed:
			return right
		case clsSyntaxStuck:
			return broken
		}
		return wrong
	}
	sawEF := strings.Contains(kind, "execution")
	switch cls {
	case clsExecution, clsProseFirst:
		if sawEF {
			return right
		}
	case clsExpert:
		if strings.Contains(text, expertMark) {
			return right
		}
	case clsSyntaxFixed, clsSyntaxStuck:
		return broken
	case clsProse:
		return prose
	}
	return wrong
}

// kindOf returns the kind of a prompt digest the servers saw.
func (s *scripted) kindOf(digest string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kinds[digest]
}

// expectedCalls applies the call matrix of protocol.md §2.2b (the
// corrected default) to the rows of one run: for every turn after 0, the
// feedback the turn's row records and the previous turn's row decide which
// calls the turn makes. It counts them by combination and prompt kind.
func expectedCalls(t *testing.T, rows []schemas.Turn, run *schemas.Run, class func(taskID string) int) map[string]int {
	t.Helper()
	attrs := map[string]map[string]any{}
	for _, c := range run.Experiment.Combinations {
		attrs[c.Name] = c.Attributes
	}
	prev := map[string]schemas.Turn{}
	want := map[string]int{}
	add := func(combo, kind string, n int) {
		if n > 0 && kind != "" {
			want[combo+" "+kind] += n
		}
	}
	for _, r := range rows {
		k := r.Combination + " " + r.TaskID
		if r.Turn == 0 {
			prev[k] = r
			continue
		}
		p, ok := prev[k]
		if !ok || p.Turn != r.Turn-1 {
			t.Fatalf("%s turn %d: no row for turn %d", k, r.Turn, r.Turn-1)
		}
		if p.Passed {
			t.Errorf("%s: turn %d ran after turn %d passed", k, r.Turn, p.Turn)
		}
		prev[k] = r
		execution, verbal := attrs[r.Combination]["execution"], attrs[r.Combination]["verbal"]
		cfError := p.Compiled == nil || !*p.Compiled
		cls := class(r.TaskID)
		ends := false
		if cfError && verbal != "novice" {
			switch cls {
			case clsSyntaxStuck:
				add(r.Combination, "refine_from_compilation_feedback", 3)
				ends = true
			default:
				add(r.Combination, "refine_from_compilation_feedback", 1)
			}
		}
		if ends {
			if r.FeedbackExecution != nil || r.FeedbackVerbal != nil {
				t.Errorf("%s turn %d: feedback after the compile-repair cap", k, r.Turn)
			}
			continue
		}
		efOn := execution != "none"
		efFailing := efOn && r.FeedbackExecution != nil && *r.FeedbackExecution != "Passed all test runs"
		if efOn != (r.FeedbackExecution != nil) {
			t.Errorf("%s turn %d: execution feedback %v with execution %v", k, r.Turn, r.FeedbackExecution != nil, execution)
		}
		sim := ""
		switch verbal {
		case "expert":
			sim = "simulate_user_feedback"
			if efFailing {
				sim = "execution_simulate_user_feedback"
			}
		case "novice":
			switch {
			case efOn && (efFailing || cfError):
				sim = "execution_simulate_novice_feedback"
			case !efOn && cfError:
				sim = "simulate_novice_feedback"
			}
		}
		if (sim != "") != (r.FeedbackVerbal != nil) {
			t.Errorf("%s turn %d: verbal feedback %v, expected a simulator call %q", k, r.Turn, r.FeedbackVerbal != nil, sim)
		}
		add(r.Combination, sim, 1)
		refine := ""
		switch {
		case verbal == "none" && efFailing:
			refine = "refine_from_execution_feedback"
		case verbal != "none" && efFailing && sim != "":
			refine = "refine_from_execution_user_feedback"
		case verbal != "none" && sim != "":
			refine = "refine_from_user_feedback"
		}
		add(r.Combination, refine, 1)
	}
	return want
}

// TestConvCodeWorldLoopback runs examples/convcodeworld.hcl on BigCodeBench
// (the 148 Hard tasks; all 1140 with CCW_E2E_TASKS=full) against scripted
// OpenAI-compatible servers on loopback and real execution, and checks the
// call matrix, the stop rule, metrics against SQL, and that a rerun is all
// cache.
func TestConvCodeWorldLoopback(t *testing.T) {
	needPython(t)
	full := os.Getenv("CCW_E2E_TASKS") == "full"
	tasks := loadBCB(t, !full)
	sc := newScripted(tasks)
	coder, user := llmtest.New(), llmtest.New()
	defer coder.Close()
	defer user.Close()
	coder.Answer, user.Answer = sc.answer, sc.answer

	dir := t.TempDir()
	cache, out := filepath.Join(dir, "cache"), filepath.Join(dir, "out")
	data := filepath.Join(testenv.SharedData(t), "bigcodebench", "BigCodeBench-v0.1.0_hf.jsonl.gz")
	subset := "hard"
	if full {
		subset = "full"
	}
	args := []string{"run", "convcodeworld.hcl", "--cache", cache, "--out", out,
		"--var", "coder_url=" + coder.BaseURL(), "--var", "coder_model=scripted-coder",
		"--var", "user_url=" + user.BaseURL(), "--var", "user_model=scripted-user",
		"--var", "tasks=" + data, "--var", "subset=" + subset}
	log := ccw(t, nil, 0, args...)
	t.Logf("first run:\n%s", tail(log, 6))

	rows := readTurns(t, filepath.Join(out, "turns.parquet"))
	calls, err := schemas.Calls.Read(filepath.Join(out, "calls.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	run, err := schemas.ReadRun(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Experiment.Combinations) != 9 || run.Experiment.Turns != 10 {
		t.Fatalf("combinations %d, turns %d", len(run.Experiment.Combinations), run.Experiment.Turns)
	}
	classOf := map[string]int{}
	for _, tk := range tasks {
		classOf[tk.ID] = sc.class[tk.Instruct]
	}

	// Turn 0 is generated once per task, shared by the nine combinations.
	gen := 0
	got := map[string]int{}
	for _, c := range calls.([]schemas.Call) {
		if c.Stage == "generate.initial" {
			gen++
			if c.Combination != "" {
				t.Errorf("turn 0 call of %s made for combination %s", c.TaskID, c.Combination)
			}
			continue
		}
		kind := sc.kindOf(c.PromptDigest)
		if kind == "" {
			t.Errorf("call %s %s turn %d: a prompt the servers never saw", c.Stage, c.TaskID, c.Turn)
		}
		got[c.Combination+" "+kind]++
	}
	if gen != len(tasks) {
		t.Errorf("turn-0 generations: %d calls for %d tasks", gen, len(tasks))
	}
	want := expectedCalls(t, rows, run, func(id string) int { return classOf[id] })
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range want {
			if !yield(k) {
				return
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok && !yield(k) {
				return
			}
		}
	})
	for _, k := range keys {
		if got[k] != want[k] {
			t.Errorf("calls %s: %d, the matrix prescribes %d", k, got[k], want[k])
		}
	}
	if len(sc.leaked) > 0 {
		t.Errorf("reference code reached the coder: %v", sc.leaked)
	}
	// Every combination shows the behaviour it should: the expert fixes
	// what only the expert can fix, execution feedback what it can.
	passedBy := map[string]map[int]int{}
	for _, r := range rows {
		if r.Passed && r.Turn > 0 {
			if passedBy[r.Combination] == nil {
				passedBy[r.Combination] = map[int]int{}
			}
			passedBy[r.Combination][classOf[r.TaskID]]++
		}
	}
	if passedBy["cf_sef"][clsExpert] == 0 || passedBy["cf_ef_full"][clsExpert] != 0 ||
		passedBy["cf_ef_full"][clsExecution] == 0 || passedBy["cf_ef_full"][clsSyntaxFixed] == 0 || len(passedBy["cf"]) != 0 {
		t.Errorf("passes after turn 0 by combination and class: %v", passedBy)
	}

	// metrics.parquet equals an independent SQL computation over turns.parquet.
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	spec := score.SpecFromRun(run)
	for _, tk := range tasks {
		spec.Tasks = append(spec.Tasks, tk.ID)
	}
	ctx := context.Background()
	sqlRows, err := scoretest.LiveSQL(ctx, db, filepath.Join(out, "turns.parquet"), spec)
	if err != nil {
		t.Fatal(err)
	}
	goRows, err := scoretest.ReadMetrics(ctx, db, filepath.Join(out, "metrics.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := scoretest.Diff(goRows, sqlRows, 1e-12); len(diff) > 0 {
		t.Errorf("metrics.parquet differs from SQL:\n%s", strings.Join(diff, "\n"))
	}

	// A rerun sends no request and executes nothing.
	before := coder.Requests() + user.Requests()
	again := filepath.Join(dir, "again")
	log = ccw(t, nil, 0, append(args[:0:0], append(args, "--out", again)...)...)
	if n := coder.Requests() + user.Requests() - before; n != 0 || !strings.Contains(log, "nothing was executed") {
		t.Errorf("rerun sent %d requests:\n%s", n, tail(log, 6))
	}
	for _, f := range []string{"turns.parquet", "calls.parquet", "metrics.parquet"} {
		sameFile(t, filepath.Join(out, f), filepath.Join(again, f))
	}
	report := ccw(t, nil, 0, "report", out)
	if !strings.Contains(report, "on ConvCodeWorld for each turn.") || !strings.Contains(report, "w/ CF EF (full TC) SEF") {
		t.Errorf("report:\n%s", report)
	}
	summary := map[string]int{}
	for _, r := range rows {
		summary[fmt.Sprintf("turn %02d", r.Turn)]++
	}
	t.Logf("%d tasks, %d rows, %d model calls (%d requests), rows by turn %v", len(tasks), len(rows), len(calls.([]schemas.Call)), before, sortedCounts(summary))
}

func sameFile(t *testing.T, a, b string) {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if string(x) != string(y) {
		t.Errorf("%s and %s differ", a, b)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func sortedCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s:%d ", k, m[k])
	}
	return b.String()
}
