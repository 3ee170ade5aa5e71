package tasks

import (
	"context"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// readParquet reads the nine fields of every row of a Parquet file (the
// format of the Hugging Face splits). Other columns are ignored. Rows are
// counted from 1 in errors.
func readParquet(path string) (tasks []Task, err error) {
	// The decoder is third-party code fed with data from the network; a
	// malformed file must end in an error naming it, never in a panic.
	defer func() {
		if r := recover(); r != nil {
			tasks, err = nil, fmt.Errorf("tasks: %s: malformed Parquet file: %v", path, r)
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tasks: %w", err)
	}
	defer f.Close()
	pf, err := file.NewParquetReader(f)
	if err != nil {
		return nil, fmt.Errorf("tasks: %s: not a readable Parquet file: %w", path, err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		return nil, fmt.Errorf("tasks: %s: Parquet schema: %w", path, err)
	}
	table, err := fr.ReadTable(context.Background())
	if err != nil {
		return nil, fmt.Errorf("tasks: %s: reading Parquet data: %w", path, err)
	}
	defer table.Release()

	rows := int(table.NumRows())
	tasks = make([]Task, rows)
	for i := range tasks {
		tasks[i].Fields = make(map[string]string, len(FieldNames))
	}
	schema := table.Schema()
	for _, name := range FieldNames {
		idx := schema.FieldIndices(name)
		if len(idx) == 0 {
			return nil, fmt.Errorf("tasks: %s: missing column %q", path, name)
		}
		if err := readStringColumn(table.Column(idx[0]), name, tasks); err != nil {
			return nil, fmt.Errorf("tasks: %s: %w", path, err)
		}
	}
	firstRow := map[string]int{}
	for i := range tasks {
		if err := tasks[i].check(); err != nil {
			return nil, fmt.Errorf("tasks: %s: row %d: %w", path, i+1, err)
		}
		if first, dup := firstRow[tasks[i].ID]; dup {
			return nil, fmt.Errorf("tasks: %s: row %d: duplicate task_id %q (first in row %d)", path, i+1, tasks[i].ID, first)
		}
		firstRow[tasks[i].ID] = i + 1
	}
	return tasks, nil
}

// readStringColumn copies column col into field name of tasks.
func readStringColumn(col *arrow.Column, name string, tasks []Task) error {
	row := 0
	for _, chunk := range col.Data().Chunks() {
		strs, ok := chunk.(array.StringLike)
		if !ok {
			return fmt.Errorf("column %q: want strings, got %s", name, chunk.DataType())
		}
		for i := 0; i < strs.Len(); i++ {
			if strs.IsNull(i) {
				return fmt.Errorf("row %d: field %q is null, want a string", row+1, name)
			}
			v := strs.Value(i)
			if !utf8.ValidString(v) {
				return fmt.Errorf("row %d: field %q: not valid UTF-8", row+1, name)
			}
			// Clone: the value may point into an Arrow buffer.
			tasks[row].Fields[name] = strings.Clone(v)
			row++
		}
	}
	if row != len(tasks) {
		return fmt.Errorf("column %q: %d values for %d rows", name, row, len(tasks))
	}
	return nil
}
