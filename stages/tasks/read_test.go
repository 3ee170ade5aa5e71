package tasks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestReadFileFormats(t *testing.T) {
	tasks := makeTasks("X", 3)
	tasks[1].Fields["test"] = "unicode: \u00e9\u4e2d \U0001F600 and \"quotes\"\n\ttab"
	plain := jsonlBytes(t, tasks)
	dir := t.TempDir()
	writeParquet(t, filepath.Join(dir, "t.parquet"), taskColumns(tasks))

	cases := []struct {
		name   string
		path   string
		format Format
	}{
		{"jsonl", writeFile(t, dir, "t.jsonl", plain), JSONL},
		{"jsonl with blank lines and CRLF", writeFile(t, dir, "crlf.jsonl",
			[]byte("\n"+strings.ReplaceAll(string(plain), "\n", "\r\n")+"\n  \n")), JSONL},
		{"no final newline", writeFile(t, dir, "nonl.jsonl", plain[:len(plain)-1]), JSONL},
		{"jsonl.gz", writeFile(t, dir, "t.jsonl.gz", gzipBytes(t, plain)), JSONLGzip},
		{"gzip found by content", writeFile(t, dir, "noext", gzipBytes(t, plain)), JSONLGzip},
		{"parquet", filepath.Join(dir, "t.parquet"), Parquet},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			format, err := DetectFormat(c.path)
			if err != nil || format != c.format {
				t.Fatalf("DetectFormat = %q, %v; want %q", format, err, c.format)
			}
			got, err := ReadFile(c.path)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tasks) {
				t.Fatalf("got %d tasks, want %d", len(got), len(tasks))
			}
			for i := range tasks {
				if got[i].ID != tasks[i].ID {
					t.Errorf("task %d: id %q, want %q", i, got[i].ID, tasks[i].ID)
				}
				for _, name := range FieldNames {
					if got[i].Fields[name] != tasks[i].Fields[name] {
						t.Errorf("task %d field %s = %q, want %q", i, name, got[i].Fields[name], tasks[i].Fields[name])
					}
				}
			}
		})
	}
}

func TestReadFileBrokenJSONL(t *testing.T) {
	good := string(jsonlBytes(t, makeTasks("X", 2)))
	lines := strings.SplitAfter(good, "\n")
	gz := gzipBytes(t, []byte(good))
	cases := []struct {
		name    string
		file    string
		data    string
		bytes   []byte
		wantErr []string
	}{
		{name: "bad JSON", file: "a.jsonl", data: lines[0] + `{"task_id": "X/1", oops}` + "\n",
			wantErr: []string{"a.jsonl:2:", "column 20", "invalid JSON"}},
		{name: "missing field", file: "a.jsonl", data: strings.Replace(good, `"test": "test of X/1", `, "", 1),
			wantErr: []string{"a.jsonl:2:", `missing field "test"`}},
		{name: "wrong type", file: "a.jsonl", data: strings.Replace(good, `"libs": "['re']"`, `"libs": ["re"]`, 1),
			wantErr: []string{"a.jsonl:1:", `field "libs": want a string, got an array`}},
		{name: "number", file: "a.jsonl", data: strings.Replace(good, `"task_id": "X/1"`, `"task_id": 1`, 1),
			wantErr: []string{"a.jsonl:2:", `field "task_id": want a string, got a number`}},
		{name: "null field", file: "a.jsonl", data: strings.Replace(good, `"test": "test of X/0"`, `"test": null`, 1),
			wantErr: []string{"a.jsonl:1:", `field "test": want a string, got null`}},
		{name: "empty id", file: "a.jsonl", data: strings.Replace(good, `"task_id": "X/1"`, `"task_id": " "`, 1),
			wantErr: []string{"a.jsonl:2:", `field "task_id": empty`}},
		{name: "not an object", file: "a.jsonl", data: lines[0] + "[1, 2]\n",
			wantErr: []string{"a.jsonl:2:", "want a JSON object per line, got array"}},
		{name: "null line", file: "a.jsonl", data: "null\n", wantErr: []string{"a.jsonl:1:", "got null"}},
		{name: "duplicate ids", file: "a.jsonl", data: good + "\n" + lines[0],
			wantErr: []string{"a.jsonl:4:", `duplicate task_id "X/0" (first on line 1)`}},
		{name: "invalid UTF-8", file: "a.jsonl", bytes: []byte(lines[0] + "{\"task_id\": \"\xff\"}\n"),
			wantErr: []string{"a.jsonl:2:", "not valid UTF-8"}},
		{name: "empty file", file: "a.jsonl", data: "", wantErr: []string{"a.jsonl: empty file"}},
		{name: "only blank lines", file: "a.jsonl", data: "\n\n  \n", wantErr: []string{"a.jsonl: no task records"}},
		{name: "truncated gzip", file: "a.jsonl.gz", bytes: gz[:len(gz)/2],
			wantErr: []string{"a.jsonl.gz:", "truncated or corrupt", "unexpected EOF"}},
		{name: "gzip checksum", file: "a.jsonl.gz", bytes: flipCRC(gz),
			wantErr: []string{"a.jsonl.gz:", "checksum"}},
		{name: "not gzip", file: "a.jsonl.gz", data: good, wantErr: []string{"a.jsonl.gz: not gzip data"}},
		{name: "not parquet", file: "a.parquet", data: good, wantErr: []string{"a.parquet: not a Parquet file"}},
		{name: "truncated parquet", file: "b.jsonl", data: "PAR1 and then nothing", wantErr: []string{"b.jsonl:", "Parquet"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := c.bytes
			if data == nil {
				data = []byte(c.data)
			}
			path := writeFile(t, t.TempDir(), c.file, data)
			got, err := ReadFile(path)
			if err == nil {
				t.Fatalf("no error; read %d tasks", len(got))
			}
			for _, want := range c.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

// flipCRC corrupts the CRC-32 in a gzip trailer.
func flipCRC(gz []byte) []byte {
	out := append([]byte(nil), gz...)
	out[len(out)-8] ^= 0xff
	return out
}

func TestReadFileBrokenParquet(t *testing.T) {
	tasks := makeTasks("X", 3)
	s := func(v string) *string { return &v }
	ints := func(name string) pqColumn {
		b := array.NewInt64Builder(memory.DefaultAllocator)
		defer b.Release()
		b.AppendValues([]int64{1, 2, 3}, nil)
		return pqColumn{arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Int64}, b.NewArray()}
	}
	replace := func(name string, c pqColumn) []pqColumn {
		cols := taskColumns(tasks)
		for i := range cols {
			if cols[i].field.Name == name {
				cols[i] = c
			}
		}
		return cols
	}
	drop := func(name string) []pqColumn {
		var cols []pqColumn
		for _, c := range taskColumns(tasks) {
			if c.field.Name != name {
				cols = append(cols, c)
			}
		}
		return cols
	}
	cases := []struct {
		name    string
		cols    []pqColumn
		wantErr string
	}{
		{"missing column", drop("doc_struct"), `missing column "doc_struct"`},
		{"wrong type", replace("libs", ints("libs")), `column "libs": want strings, got int64`},
		{"null", replace("test", stringColumn("test", []*string{s("a"), nil, s("c")})), `row 2: field "test" is null`},
		{"duplicate ids", replace("task_id", stringColumn("task_id", []*string{s("X/0"), s("X/1"), s("X/0")})),
			`row 3: duplicate task_id "X/0" (first in row 1)`},
		{"empty id", replace("task_id", stringColumn("task_id", []*string{s("X/0"), s(""), s("X/2")})),
			`row 2: field "task_id": empty`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.parquet")
			writeParquet(t, path, c.cols)
			_, err := ReadFile(path)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error = %v; want one naming %s and containing %q", err, path, c.wantErr)
			}
		})
	}

	t.Run("extra columns are ignored", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "hard.parquet")
		writeParquet(t, path, append(taskColumns(tasks), ints("q_idx")))
		got, err := ReadFile(path)
		if err != nil || len(got) != 3 || len(got[0].Fields) != len(FieldNames) {
			t.Fatalf("ReadFile = %d tasks, %v", len(got), err)
		}
	})

	t.Run("truncated", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "full.parquet")
		writeParquet(t, path, taskColumns(makeTasks("X", 100)))
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, cut := range []int{len(data) / 3, len(data) - 5} {
			short := writeFile(t, dir, "short.parquet", data[:cut])
			if _, err := ReadFile(short); err == nil || !strings.Contains(err.Error(), short) {
				t.Errorf("cut at %d: error = %v; want one naming the file", cut, err)
			}
		}
	})
}
