package schemas

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// rowGroup is the number of rows per Parquet row group.
const rowGroup = 16384

// Write writes rows (a slice of the table's row struct) to path as
// zstd-compressed Parquet, atomically: readers see the old file or the
// whole new one.
func (t *Table) Write(path string, rows any) error {
	rv := reflect.ValueOf(rows)
	if rv.Kind() != reflect.Slice || rv.Type().Elem() != t.typ {
		return fmt.Errorf("schemas: %s rows must be []%s, got %T", t.Name, t.typ, rows)
	}
	i := 0
	return t.WriteStream(path, func() (any, bool, error) {
		if i == rv.Len() {
			return nil, false, nil
		}
		i++
		return rv.Index(i - 1).Interface(), true, nil
	})
}

// WriteStream is Write for rows produced one at a time by next (a value
// of the table's row struct, or a pointer to one; ok false at the end).
// Memory stays bounded by one row group whatever the number of rows.
func (t *Table) WriteStream(path string, next func() (row any, ok bool, err error)) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd), parquet.WithCreatedBy("ccw"),
		// No dictionary pages: a column whose dictionary outgrows its page
		// falls back to plain pages, and arrow-go then writes the chunk's
		// page-encoding stats in Go map order, so that two writes of the
		// same rows differ in a few bytes. zstd does the dictionary's work.
		parquet.WithDictionaryDefault(false))
	w, err := pqarrow.NewFileWriter(t.schema, f, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		f.Close()
		return fmt.Errorf("schemas: %s: %w", t.Name, err)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, t.schema)
	defer b.Release()
	n, wrote := 0, false
	flush := func() error {
		rec := b.NewRecordBatch()
		defer rec.Release()
		n, wrote = 0, true
		return w.Write(rec)
	}
	for err == nil {
		var row any
		var ok bool
		row, ok, err = next()
		if err != nil || !ok {
			break
		}
		rv := reflect.Indirect(reflect.ValueOf(row))
		if rv.Type() != t.typ {
			err = fmt.Errorf("schemas: %s rows must be %s, got %T", t.Name, t.typ, row)
			break
		}
		for j, c := range t.cols {
			appendValue(b.Field(j), c, rv.Field(c.index))
		}
		if n++; n == rowGroup {
			err = flush()
		}
	}
	if err == nil && (n > 0 || !wrote) {
		err = flush() // the last group, or an empty table's schema
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("schemas: writing %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

// Read reads a table written by Write (or any Parquet file with the same
// columns) into a slice of the row struct, returned as any; use a type
// assertion or ReadRows.
func (t *Table) Read(path string) (any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tbl, err := pqarrow.ReadTable(context.Background(), f, nil, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	defer tbl.Release()
	n := int(tbl.NumRows())
	out := reflect.MakeSlice(reflect.SliceOf(t.typ), n, n)
	for _, c := range t.cols {
		idx := tbl.Schema().FieldIndices(c.field.Name)
		if len(idx) == 0 {
			return nil, fmt.Errorf("reading %s: no column %q (is it a %s table?)", path, c.field.Name, t.Name)
		}
		row := 0
		for _, chunk := range tbl.Column(idx[0]).Data().Chunks() {
			for i := 0; i < chunk.Len(); i++ {
				readValue(chunk, c, i, out.Index(row).Field(c.index))
				row++
			}
		}
	}
	return out.Interface(), nil
}

// ReadRows is Read with the row type made explicit.
func ReadRows[T any](t *Table, path string) ([]T, error) {
	v, err := t.Read(path)
	if err != nil {
		return nil, err
	}
	rows, ok := v.([]T)
	if !ok {
		return nil, fmt.Errorf("schemas: %s rows are %T", t.Name, v)
	}
	return rows, nil
}
