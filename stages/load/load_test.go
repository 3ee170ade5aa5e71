package load

import (
	"compress/gzip"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/internal/testenv"
	"github.com/ccw-dev/ccw/stages"
)

// initial is a file in the shape the original ships turn-0 solutions in,
// plus fields of other JSON types.
const initial = `{"task_id": "BigCodeBench/0", "solution": "import itertools\ndef task_func():\n    return 0\n"}

{"task_id": "BigCodeBench/1", "solution": "def task_func(s):\n    return s  # ünïcode", "turn": 3, "ok": true, "log": null, "meta": {"b": [1, 2.50], "a": "x"}}
{"task_id": "BigCodeBench/2", "solution": "", "turn": 0}
{"task_id": "BigCodeBench/2", "solution": "again", "turn": 1}
`

func write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func str(s string) *string { return &s }

func TestFind(t *testing.T) {
	p := write(t, "initial.jsonl", initial)
	f, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := f.Find(map[string]string{"task_id": "BigCodeBench/1"})
	if err != nil {
		t.Fatal(err)
	}
	want := Record{"task_id": str("BigCodeBench/1"), "solution": str("def task_func(s):\n    return s  # ünïcode"),
		"turn": str("3"), "ok": str("true"), "log": nil, "meta": str(`{"b":[1,2.50],"a":"x"}`)}
	if fmt.Sprint(deref(rec)) != fmt.Sprint(deref(want)) {
		t.Errorf("record %v, want %v", deref(rec), deref(want))
	}
	// Non-string fields compare as their JSON text; several fields at once.
	if rec, err := f.Find(map[string]string{"task_id": "BigCodeBench/2", "turn": "1"}); err != nil || *rec["solution"] != "again" {
		t.Errorf("two fields: %v %v", deref(rec), err)
	}
	errs := []struct {
		where map[string]string
		want  string
	}{
		{map[string]string{"task_id": "BigCodeBench/7"}, p + ` has no record with task_id "BigCodeBench/7"`},
		{map[string]string{"task_id": "BigCodeBench/2"}, p + ` has 2 records with task_id "BigCodeBench/2" (lines 4, 5)`},
		{map[string]string{"turn": "3", "task_id": "BigCodeBench/0"}, p + ` has no record with task_id "BigCodeBench/0" and turn "3"`},
		{map[string]string{"log": "x"}, `has no record with log "x"`}, // null never matches
		{map[string]string{}, "where names no field"},
	}
	for _, e := range errs {
		if _, err := f.Find(e.where); err == nil || !strings.Contains(err.Error(), e.want) {
			t.Errorf("%v: error %v, want %q", e.where, err, e.want)
		}
	}
}

func deref(r Record) map[string]string {
	out := map[string]string{}
	for k, v := range r {
		if v == nil {
			out[k] = "<null>"
		} else {
			out[k] = *v
		}
	}
	return out
}

// TestFormats reads the same records from JSON lines, gzip-compressed
// JSON lines and a Parquet file written by DuckDB (an independent
// writer).
func TestFormats(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "initial.jsonl")
	if err := os.WriteFile(plain, []byte(initial), 0o644); err != nil {
		t.Fatal(err)
	}
	gz := filepath.Join(dir, "initial.jsonl.gz")
	out, _ := os.Create(gz)
	zw := gzip.NewWriter(out)
	zw.Write([]byte(initial))
	zw.Close()
	out.Close()
	pq := filepath.Join(dir, "initial.parquet")
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(fmt.Sprintf(`COPY (SELECT * FROM (VALUES
		('BigCodeBench/0', 'import itertools'||chr(10)||'def task_func():', 0, NULL, [1, 2]),
		('BigCodeBench/1', 'def task_func(s): # ünïcode', 3, 'x', []::INTEGER[]))
		AS t(task_id, solution, turn, log, nums)) TO '%s' (FORMAT parquet)`, pq)); err != nil {
		t.Fatal(err)
	}
	digests := map[string]bool{}
	for _, p := range []string{plain, gz, pq} {
		f, err := Open(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		digests[f.Digest] = true
		rec, err := f.Find(map[string]string{"task_id": "BigCodeBench/0"})
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if *rec["solution"] != "import itertools\ndef task_func():" && *rec["solution"] != "import itertools\ndef task_func():\n    return 0\n" {
			t.Errorf("%s: solution %q", p, *rec["solution"])
		}
		if filepath.Ext(p) == ".parquet" {
			got := deref(rec)
			if got["turn"] != "0" || got["log"] != "<null>" || got["nums"] != "[1,2]" {
				t.Errorf("parquet record %v", got)
			}
			if rec, err := f.Find(map[string]string{"turn": "3"}); err != nil || *rec["solution"] != "def task_func(s): # ünïcode" || *rec["nums"] != "[]" {
				t.Errorf("parquet by number: %v %v", deref(rec), err)
			}
			if _, err := f.Find(map[string]string{"task_id": "BigCodeBench/9"}); err == nil || !strings.Contains(err.Error(), "has no record") {
				t.Errorf("parquet miss: %v", err)
			}
		}
	}
	if len(digests) != 3 {
		t.Errorf("digests %v: want one per file content", digests)
	}
}

func TestBadFiles(t *testing.T) {
	tests := []struct{ name, content, want string }{
		{"bad.jsonl", "{\"task_id\": \"a\"}\n{\"task_id\": \n", "bad.jsonl: line 2: invalid JSON"},
		{"list.jsonl", "[1, 2]\n", "list.jsonl: line 1: want a JSON object per line, got array"},
		{"null.jsonl", "null\n", "line 1: want a JSON object per line, got null"},
		{"latin1.jsonl", "{\"a\": \"\xe9\"}\n", "line 1: not valid UTF-8"},
		{"fake.parquet", "{\"a\": 1}\n", `fake.parquet: not a Parquet file`},
		{"fake.jsonl.gz", "{\"a\": 1}\n", `fake.jsonl.gz: not gzip data`},
		{"broken.parquet", "PAR1 this is not parquet", "broken.parquet: not a readable Parquet file"},
		{"cut.jsonl.gz", "\x1f\x8b\x08\x00\x00\x00\x00\x00", "cut.jsonl.gz"},
	}
	for _, tt := range tests {
		p := write(t, tt.name, tt.content)
		if _, err := Open(p); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing.jsonl")); err == nil || !strings.Contains(err.Error(), "missing.jsonl") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Open(t.TempDir()); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: %v", err)
	}
}

// TestReadOnce: a file is read once per process and indexed once per set
// of fields; a changed file is read again.
func TestReadOnce(t *testing.T) {
	p := write(t, "initial.jsonl", initial)
	a, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Open(p)
	if a != b {
		t.Fatal("the same unchanged file was read twice")
	}
	for range 100 {
		if _, err := a.Find(map[string]string{"task_id": "BigCodeBench/0"}); err != nil {
			t.Fatal(err)
		}
	}
	a.Find(map[string]string{"turn": "0"})
	if len(a.indexes) != 2 {
		t.Errorf("%d indexes for two sets of fields", len(a.indexes))
	}
	// Rewrite with other content (and a later modification time).
	changed := strings.Replace(initial, "return 0", "return 1", 1)
	if err := os.WriteFile(p, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	os.Chtimes(p, later, later)
	c, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if c == a || c.Digest == a.Digest {
		t.Fatal("a changed file was not read again")
	}
	rec, _ := c.Find(map[string]string{"task_id": "BigCodeBench/0"})
	if !strings.Contains(*rec["solution"], "return 1") {
		t.Errorf("stale record %q", *rec["solution"])
	}
}

// TestSharedTasks looks records up in the real BigCodeBench file.
func TestSharedTasks(t *testing.T) {
	p := filepath.Join(testenv.SharedData(t), "bigcodebench", "BigCodeBench-v0.1.0_hf.jsonl.gz")
	f, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Records) != 1140 {
		t.Fatalf("%d records, want 1140", len(f.Records))
	}
	rec, err := f.Find(map[string]string{"task_id": "BigCodeBench/1139"})
	if err != nil {
		t.Fatal(err)
	}
	if *rec["entry_point"] != "task_func" || !strings.Contains(*rec["code_prompt"], "def task_func") {
		t.Errorf("record %v", deref(rec))
	}
}

func TestStage(t *testing.T) {
	p := write(t, "initial.jsonl", initial)
	cfg := func(path string, where map[string]string) cty.Value {
		m := map[string]cty.Value{}
		for k, v := range where {
			m[k] = cty.StringVal(v)
		}
		w := cty.MapValEmpty(cty.String)
		if len(m) > 0 {
			w = cty.MapVal(m)
		}
		return cty.ObjectVal(map[string]cty.Value{"path": cty.StringVal(path), "where": w})
	}
	r := New()
	v, err := r.Run(context.Background(), stages.Input{Config: cfg(p, map[string]string{"task_id": "BigCodeBench/1"}), Addr: "load.initial"})
	if err != nil {
		t.Fatal(err)
	}
	if !v.Type().Equals(r.Output()) {
		t.Fatalf("type %s, want the declared output", v.Type().FriendlyName())
	}
	rec := v.GetAttr("record")
	if rec.Index(cty.StringVal("turn")).AsString() != "3" || !rec.Index(cty.StringVal("log")).IsNull() ||
		!strings.HasPrefix(v.GetAttr("digest").AsString(), "sha256:") {
		t.Errorf("result %#v", v)
	}
	if _, ok := r.(stages.Ephemeral); !ok {
		t.Error("load must be ephemeral")
	}
	_, err = r.Run(context.Background(), stages.Input{Config: cfg(p, map[string]string{"task_id": "BigCodeBench/7"}), Addr: `load.initial["BigCodeBench/7"]`})
	if err == nil || !strings.Contains(err.Error(), `load.initial["BigCodeBench/7"]: `+p+` has no record with task_id "BigCodeBench/7"`) {
		t.Errorf("miss: %v", err)
	}
	_, err = r.Run(context.Background(), stages.Input{Config: cfg("", map[string]string{"task_id": "x"}), Addr: "load.initial"})
	if err == nil || !strings.Contains(err.Error(), "path is empty") {
		t.Errorf("empty path: %v", err)
	}
	nullPath := cty.ObjectVal(map[string]cty.Value{"path": cty.NullVal(cty.String), "where": cty.MapVal(map[string]cty.Value{"task_id": cty.StringVal("x")})})
	_, err = r.Run(context.Background(), stages.Input{Config: nullPath, Addr: "load.initial"})
	if err == nil || !strings.Contains(err.Error(), "load.initial: attribute path is required") {
		t.Errorf("null path: %v", err)
	}
}

// BenchmarkFind measures one lookup in a file of 1140 records against
// reading the file again, in the same run.
func BenchmarkFind(b *testing.B) {
	var sb strings.Builder
	for i := range 1140 {
		fmt.Fprintf(&sb, "{\"task_id\": \"BigCodeBench/%d\", \"solution\": %q}\n", i, strings.Repeat("x = 1\n", 40))
	}
	p := filepath.Join(b.TempDir(), "initial.jsonl")
	os.WriteFile(p, []byte(sb.String()), 0o644)
	where := map[string]string{"task_id": "BigCodeBench/700"}
	start := time.Now()
	f, err := read(p, p)
	if err != nil {
		b.Fatal(err)
	}
	readTime := time.Since(start)
	b.ResetTimer()
	for range b.N {
		if _, err := f.Find(where); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	per := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(readTime)/float64(per), "reads/lookup-ratio")
}

// turnsLog is a log in the shape of a run that stops a task once it
// passes: task 0 passed at turn 1, task 1 never passed, in two
// combinations; a duplicate row and a row with a broken turn.
const turnsLog = `{"combination": "a", "task_id": "T/0", "turn": 0, "passed": false}
{"combination": "a", "task_id": "T/0", "turn": 1, "passed": true}
{"combination": "a", "task_id": "T/1", "turn": 0, "passed": false}
{"combination": "a", "task_id": "T/1", "turn": 1, "passed": false}
{"combination": "a", "task_id": "T/1", "turn": 2, "passed": false}
{"combination": "b", "task_id": "T/0", "turn": 0, "passed": false}
{"combination": "b", "task_id": "T/0", "turn": 1, "passed": false}
{"combination": "b", "task_id": "T/0", "turn": 1, "passed": true}
{"combination": "c", "task_id": "T/0", "turn": "one"}
`

func TestLatest(t *testing.T) {
	p := write(t, "turns.jsonl", turnsLog)
	f, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	where := func(c, task string) map[string]string { return map[string]string{"combination": c, "task_id": task} }
	tests := []struct {
		combo, task string
		atMost      float64
		wantTurn    string // "" means an error containing wantErr
		wantErr     string
	}{
		{"a", "T/0", 0, "0", ""},
		{"a", "T/0", 1, "1", ""},
		{"a", "T/0", 5, "1", ""}, // the pass at 1 is its last row
		{"a", "T/1", 1.5, "1", ""},
		{"a", "T/1", 9, "2", ""},
		{"a", "T/0", -1, "", p + ` has no record with combination "a" and task_id "T/0" and turn at most -1`},
		{"a", "T/9", 3, "", `no record has task_id "T/9" (it has "T/0", "T/1")`},
		{"z", "T/0", 3, "", `no record has combination "z" (it has "a", "b", "c")`},
		{"b", "T/0", 4, "", `has 2 records with combination "b" and task_id "T/0" and turn 1 (lines 7, 8)`},
		{"c", "T/0", 4, "", `line 9: field turn is "one", not a number`},
	}
	for _, tt := range tests {
		rec, err := f.Latest(where(tt.combo, tt.task), "turn", tt.atMost)
		switch {
		case tt.wantTurn != "" && (err != nil || *rec["turn"] != tt.wantTurn):
			t.Errorf("%s %s <= %v: %v %v, want turn %s", tt.combo, tt.task, tt.atMost, deref(rec), err, tt.wantTurn)
		case tt.wantTurn == "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s %s <= %v: error %v, want %q", tt.combo, tt.task, tt.atMost, err, tt.wantErr)
		}
	}
	if _, err := f.Latest(map[string]string{"turn": "1"}, "turn", 3); err == nil || !strings.Contains(err.Error(), "both in where and the as-of field") {
		t.Errorf("clash: %v", err)
	}
	// An exact miss on several fields names the value no record has.
	if _, err := f.Find(map[string]string{"combination": "a", "task_id": "T/1", "turn": "7"}); err == nil ||
		!strings.Contains(err.Error(), `no record has turn "7" (it has "0", "1", "2", "one")`) {
		t.Errorf("exact miss: %v", err)
	}
	// The stage: at_most with one field.
	cfg := func(atMost map[string]cty.Value) cty.Value {
		am := cty.NullVal(cty.Map(cty.String))
		if atMost != nil {
			am = cty.MapVal(atMost)
		}
		return cty.ObjectVal(map[string]cty.Value{"path": cty.StringVal(p), "at_most": am,
			"where": cty.MapVal(map[string]cty.Value{"combination": cty.StringVal("a"), "task_id": cty.StringVal("T/0")})})
	}
	v, err := New().Run(context.Background(), stages.Input{Config: cfg(map[string]cty.Value{"turn": cty.StringVal("4")}), Addr: "load.ref"})
	if err != nil || v.GetAttr("record").Index(cty.StringVal("turn")).AsString() != "1" {
		t.Errorf("stage as-of: %#v %v", v, err)
	}
	for _, bad := range []struct {
		atMost map[string]cty.Value
		want   string
	}{
		{map[string]cty.Value{"turn": cty.StringVal("x")}, `load.ref: attribute at_most: turn = "x" is not a number`},
		{map[string]cty.Value{"turn": cty.StringVal("1"), "task": cty.StringVal("2")}, "want one FIELD = NUMBER, got 2 fields"},
		{map[string]cty.Value{"turn": cty.NullVal(cty.String)}, "the value of turn is null"},
	} {
		if _, err := New().Run(context.Background(), stages.Input{Config: cfg(bad.atMost), Addr: "load.ref"}); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%v: error %v, want %q", bad.atMost, err, bad.want)
		}
	}
}

// TestParquetNested: a list of structs (the tests column of turns.parquet)
// reads as its JSON text, which jsondecode turns back into objects.
func TestParquetNested(t *testing.T) {
	pq := filepath.Join(t.TempDir(), "turns.parquet")
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(fmt.Sprintf(`COPY (SELECT 'T/0' AS task_id, true AS passed, 3::INTEGER AS tests_run,
		[{'name': 'test_a', 'status': 'fail', 'message': 'Traceback "x"'||chr(10)||'é'}, {'name': 'ALL', 'status': 'error', 'message': ''}] AS tests,
		[]::STRUCT(name VARCHAR)[] AS none) TO '%s' (FORMAT parquet)`, pq)); err != nil {
		t.Fatal(err)
	}
	f, err := Open(pq)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := f.Find(map[string]string{"task_id": "T/0"})
	if err != nil {
		t.Fatal(err)
	}
	got := deref(rec)
	want := `[{"message":"Traceback \"x\"\né","name":"test_a","status":"fail"},{"message":"","name":"ALL","status":"error"}]`
	if got["tests"] != want || got["passed"] != "true" || got["tests_run"] != "3" || got["none"] != "[]" {
		t.Errorf("record %v\nwant tests %s", got, want)
	}
}
