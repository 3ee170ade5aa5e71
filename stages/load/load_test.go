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
