package tasks

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"github.com/ccw-dev/ccw/internal/testenv"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// makeTask returns a small valid task with the given id.
func makeTask(id string) Task {
	fields := map[string]string{}
	for _, name := range FieldNames {
		fields[name] = name + " of " + id
	}
	fields["task_id"] = id
	fields["entry_point"] = "task_func"
	fields["libs"] = "['re']"
	return Task{ID: id, Fields: fields}
}

// makeTasks returns tasks prefix/0 .. prefix/n-1.
func makeTasks(prefix string, n int) []Task {
	out := make([]Task, n)
	for i := range out {
		out[i] = makeTask(fmt.Sprintf("%s/%d", prefix, i))
	}
	return out
}

// jsonlBytes encodes tasks as JSON lines with the nine fields in order.
func jsonlBytes(t testing.TB, tasks []Task) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, task := range tasks {
		b.WriteByte('{')
		for i, name := range FieldNames {
			if i > 0 {
				b.WriteString(", ")
			}
			k, _ := json.Marshal(name)
			v, err := json.Marshal(task.Fields[name])
			if err != nil {
				t.Fatal(err)
			}
			b.Write(k)
			b.WriteString(": ")
			b.Write(v)
		}
		b.WriteString("}\n")
	}
	return b.Bytes()
}

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// pqColumn is one Parquet pqColumn to write.
type pqColumn struct {
	field arrow.Field
	data  arrow.Array
}

// stringColumn builds a string pqColumn; a nil entry is a null.
func stringColumn(name string, values []*string) pqColumn {
	b := array.NewStringBuilder(memory.DefaultAllocator)
	defer b.Release()
	for _, v := range values {
		if v == nil {
			b.AppendNull()
		} else {
			b.Append(*v)
		}
	}
	return pqColumn{arrow.Field{Name: name, Type: arrow.BinaryTypes.String, Nullable: true}, b.NewArray()}
}

// taskColumns are the nine string columns of tasks, in FieldNames order.
func taskColumns(tasks []Task) []pqColumn {
	cols := make([]pqColumn, 0, len(FieldNames))
	for _, name := range FieldNames {
		values := make([]*string, len(tasks))
		for i := range tasks {
			v := tasks[i].Fields[name]
			values[i] = &v
		}
		cols = append(cols, stringColumn(name, values))
	}
	return cols
}

// writeParquet writes cols as a Parquet file with arrow-go, the way a
// Hugging Face split is stored (snappy, one row group per 512 rows).
func writeParquet(t testing.TB, path string, cols []pqColumn) {
	t.Helper()
	fields := make([]arrow.Field, len(cols))
	arrays := make([]arrow.Array, len(cols))
	for i, c := range cols {
		fields[i], arrays[i] = c.field, c.data
	}
	schema := arrow.NewSchema(fields, nil)
	rec := array.NewRecordBatch(schema, arrays, int64(arrays[0].Len()))
	defer rec.Release()
	table := array.NewTableFromRecords(schema, []arrow.RecordBatch{rec})
	defer table.Release()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy))
	if err := pqarrow.WriteTable(table, f, 512, props, pqarrow.DefaultWriterProps()); err != nil {
		t.Fatal(err)
	}
}

func repoRoot(t testing.TB) string { return testenv.RepoRoot(t) }

func sharedData(t testing.TB) string { return testenv.SharedData(t) }

// sharedSplit is the path of a split file in the shared data.
func sharedSplit(t testing.TB, name string) string {
	return filepath.Join(sharedData(t), "bigcodebench", name)
}

// unavailable skips the test, or fails it when CI=true.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	testenv.Missing(t, format, args...)
}
