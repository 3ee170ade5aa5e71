package load

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// Record is one record of a file: field name → value as text (strings as
// they are, other JSON values JSON-encoded); nil for a null.
type Record map[string]*string

// File is a data file read into memory, with its indexes.
type File struct {
	// Path is the path the file was opened by.
	Path string
	// Digest is "sha256:" and the hex SHA-256 of the file's bytes.
	Digest string
	// Records are the records in file order.
	Records []Record
	// unit names a record's place in errors: "line" or "row".
	unit string
	// places are the 1-based line or row numbers of the records.
	places []int

	mu      sync.Mutex
	indexes map[string]map[string][]int // key fields (joined) → key values (joined) → records
}

// identity is what makes a cached File current: the same path, size,
// modification time and inode.
type identity struct {
	size  int64
	mtime time.Time
	inode uint64
}

var (
	filesMu sync.Mutex
	files   = map[string]*cached{}
)

type cached struct {
	id   identity
	once sync.Once
	file *File
	err  error
}

// Open returns the file at path, read once per process: a later call
// with the same path gets the same File while the file's size,
// modification time and inode are unchanged.
func Open(path string) (*File, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a directory, not a data file", path)
	}
	id := identity{size: st.Size(), mtime: st.ModTime()}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		id.inode = sys.Ino
	}
	filesMu.Lock()
	c, ok := files[abs]
	if !ok || c.id != id {
		c = &cached{id: id}
		files[abs] = c
	}
	filesMu.Unlock()
	c.once.Do(func() { c.file, c.err = read(path, abs) })
	return c.file, c.err
}

// read loads and hashes one file.
func read(path, abs string) (*File, error) {
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	f := &File{Path: path, Digest: "sha256:" + hex.EncodeToString(sum[:]), indexes: map[string]map[string][]int{}}
	name := strings.ToLower(filepath.Base(path))
	switch {
	case bytes.HasPrefix(data, []byte("PAR1")):
		f.unit = "row"
		err = f.readParquet(data)
	case bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
		f.unit = "line"
		zr, zerr := gzip.NewReader(bytes.NewReader(data))
		if zerr != nil {
			return nil, fmt.Errorf("%s: not valid gzip: %w", path, zerr)
		}
		err = f.readJSONL(zr)
	case strings.HasSuffix(name, ".parquet"):
		return nil, fmt.Errorf("%s: not a Parquet file (it does not start with \"PAR1\")", path)
	case strings.HasSuffix(name, ".gz"):
		return nil, fmt.Errorf("%s: not gzip data (no gzip magic bytes)", path)
	default:
		f.unit = "line"
		err = f.readJSONL(bytes.NewReader(data))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// readJSONL reads one JSON object per line; blank lines are skipped.
func (f *File) readJSONL(r io.Reader) error {
	br := bufio.NewReaderSize(r, 1<<16)
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return fmt.Errorf("line %d: reading failed (truncated or corrupt file?): %w", line, err)
		}
		if len(bytes.TrimSpace(b)) > 0 {
			rec, perr := parseObject(b)
			if perr != nil {
				return fmt.Errorf("line %d: %w", line, perr)
			}
			f.Records = append(f.Records, rec)
			f.places = append(f.places, line)
		}
		if err == io.EOF {
			return nil
		}
	}
}

func parseObject(b []byte) (Record, error) {
	if !utf8.Valid(b) {
		return nil, errors.New("not valid UTF-8")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return nil, fmt.Errorf("invalid JSON at byte %d: %v", syn.Offset, syn)
		case errors.As(err, &typ):
			return nil, fmt.Errorf("want a JSON object per line, got %s", typ.Value)
		}
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if obj == nil {
		return nil, errors.New("want a JSON object per line, got null")
	}
	rec := make(Record, len(obj))
	for k, raw := range obj {
		raw = bytes.TrimSpace(raw)
		switch {
		case bytes.Equal(raw, []byte("null")):
			rec[k] = nil
		case len(raw) > 0 && raw[0] == '"':
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, fmt.Errorf("field %q: %w", k, err)
			}
			rec[k] = &s
		default:
			var buf bytes.Buffer
			if err := json.Compact(&buf, raw); err != nil {
				return nil, fmt.Errorf("field %q: %w", k, err)
			}
			s := buf.String()
			rec[k] = &s
		}
	}
	return rec, nil
}

// readParquet reads every column of every row: strings as they are,
// other values JSON-encoded.
func (f *File) readParquet(data []byte) (err error) {
	// The decoder is third-party code; a malformed file must end in an
	// error naming it, never in a panic.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed Parquet file: %v", r)
		}
	}()
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("not a readable Parquet file: %w", err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		return fmt.Errorf("Parquet schema: %w", err)
	}
	table, err := fr.ReadTable(context.Background())
	if err != nil {
		return fmt.Errorf("reading Parquet data: %w", err)
	}
	defer table.Release()
	rows := int(table.NumRows())
	f.Records = make([]Record, rows)
	f.places = make([]int, rows)
	for i := range f.Records {
		f.Records[i] = Record{}
		f.places[i] = i + 1
	}
	for c := 0; c < int(table.NumCols()); c++ {
		col := table.Column(c)
		name := col.Name()
		row := 0
		for _, chunk := range col.Data().Chunks() {
			strs, isString := chunk.(array.StringLike)
			for i := 0; i < chunk.Len(); i++ {
				var v *string
				switch {
				case chunk.IsNull(i):
				case isString:
					s := strings.Clone(strs.Value(i))
					if !utf8.ValidString(s) {
						return fmt.Errorf("row %d: column %q: not valid UTF-8", row+1, name)
					}
					v = &s
				default:
					b, err := json.Marshal(chunk.GetOneForMarshal(i))
					if err != nil {
						return fmt.Errorf("row %d: column %q: %w", row+1, name, err)
					}
					s := string(b)
					v = &s
				}
				f.Records[row][name] = v
				row++
			}
		}
		if row != rows {
			return fmt.Errorf("column %q: %d values for %d rows", name, row, rows)
		}
	}
	return nil
}

// Find returns the one record whose fields equal where (field → text).
// No record, or more than one, is an error naming the file, the fields
// and the values.
func (f *File) Find(where map[string]string) (Record, error) {
	keys, vals, err := sortedWhere(where)
	if err != nil {
		return nil, err
	}
	hits := f.index(keys)[joinKey(vals)]
	switch len(hits) {
	case 1:
		return f.Records[hits[0]], nil
	case 0:
		hint := ""
		if len(keys) > 1 {
			hint = f.absent(keys, vals)
		}
		return nil, fmt.Errorf("%s has no record with %s%s", f.Path, describe(keys, vals), hint)
	}
	return nil, fmt.Errorf("%s has %d records with %s (%ss %s)", f.Path, len(hits), describe(keys, vals), f.unit, f.placesOf(hits))
}

// Latest is an as-of lookup: among the records whose fields equal where,
// the one whose field (a number) is the greatest not above atMost — for
// example a task's last logged turn up to some turn, where turns after a
// pass were never logged. No such record, or two with that greatest
// value, is an error naming the file, the fields and the values; a record
// whose field is not a number is an error naming its place.
func (f *File) Latest(where map[string]string, field string, atMost float64) (Record, error) {
	if _, clash := where[field]; clash {
		return nil, fmt.Errorf("field %s is both in where and the as-of field", field)
	}
	keys, vals, err := sortedWhere(where)
	if err != nil {
		return nil, err
	}
	best, bestAt := -1, 0.0
	var ties []int
	for _, h := range f.index(keys)[joinKey(vals)] {
		v := f.Records[h][field]
		if v == nil {
			continue
		}
		n, err := strconv.ParseFloat(*v, 64)
		if err != nil {
			return nil, fmt.Errorf("%s %s %d: field %s is %q, not a number", f.Path, f.unit, f.places[h], field, *v)
		}
		switch {
		case n > atMost:
		case best < 0 || n > bestAt:
			best, bestAt, ties = h, n, nil
		case n == bestAt:
			ties = append(ties, h)
		}
	}
	bound := fmt.Sprintf("%s at most %s", field, strconv.FormatFloat(atMost, 'g', -1, 64))
	switch {
	case best < 0:
		return nil, fmt.Errorf("%s has no record with %s and %s%s", f.Path, describe(keys, vals), bound, f.absent(keys, vals))
	case len(ties) > 0:
		hits := append([]int{best}, ties...)
		return nil, fmt.Errorf("%s has %d records with %s and %s %s (%ss %s)", f.Path, len(hits), describe(keys, vals), field,
			strconv.FormatFloat(bestAt, 'g', -1, 64), f.unit, f.placesOf(hits))
	}
	return f.Records[best], nil
}

func sortedWhere(where map[string]string) (keys, vals []string, err error) {
	if len(where) == 0 {
		return nil, nil, errors.New("where names no field to look records up by")
	}
	keys = make([]string, 0, len(where))
	for k := range where {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	vals = make([]string, len(keys))
	for i, k := range keys {
		vals[i] = where[k]
	}
	return keys, vals, nil
}

func (f *File) placesOf(hits []int) string {
	places := make([]string, len(hits))
	for i, h := range hits {
		places[i] = fmt.Sprint(f.places[h])
	}
	return strings.Join(places, ", ")
}

// shownValues is how many values of a field a miss lists.
const shownValues = 12

// absent explains a miss when one of the values occurs in no record at
// all (a combination or a task the file lacks, a turn it never reached):
// it names the first such field and the values the file has there.
func (f *File) absent(keys, vals []string) string {
	for i, k := range keys {
		idx := f.index([]string{k})
		if len(idx[joinKey(vals[i:i+1])]) > 0 {
			continue
		}
		have := make([]string, 0, len(idx))
		for _, hits := range idx {
			have = append(have, fmt.Sprintf("%q", *f.Records[hits[0]][k]))
		}
		if len(have) == 0 {
			return fmt.Sprintf(": no record has a %s", k)
		}
		sortValues(have)
		more := ""
		if len(have) > shownValues {
			more = fmt.Sprintf(" and %d more", len(have)-shownValues)
			have = have[:shownValues]
		}
		return fmt.Sprintf(": no record has %s %q (it has %s%s)", k, vals[i], strings.Join(have, ", "), more)
	}
	return ""
}

// sortValues sorts quoted values, numbers by value and the rest as text.
func sortValues(vs []string) {
	num := func(s string) (float64, bool) {
		n, err := strconv.ParseFloat(strings.Trim(s, `"`), 64)
		return n, err == nil
	}
	sort.Slice(vs, func(i, j int) bool {
		a, aok := num(vs[i])
		b, bok := num(vs[j])
		if aok && bok {
			return a < b
		}
		if aok != bok {
			return aok
		}
		return vs[i] < vs[j]
	})
}

// index returns the index of the records by the fields keys (sorted),
// building it on first use. Records without one of the fields, or with a
// null there, are not in it.
func (f *File) index(keys []string) map[string][]int {
	name := joinKey(keys)
	f.mu.Lock()
	defer f.mu.Unlock()
	if idx, ok := f.indexes[name]; ok {
		return idx
	}
	idx := map[string][]int{}
	vals := make([]string, len(keys))
	for i, rec := range f.Records {
		ok := true
		for j, k := range keys {
			v := rec[k]
			if v == nil {
				ok = false
				break
			}
			vals[j] = *v
		}
		if ok {
			key := joinKey(vals)
			idx[key] = append(idx[key], i)
		}
	}
	f.indexes[name] = idx
	return idx
}

// joinKey joins texts unambiguously.
func joinKey(parts []string) string {
	var b strings.Builder
	for _, p := range parts {
		fmt.Fprintf(&b, "%d:%s", len(p), p)
	}
	return b.String()
}

func describe(keys, vals []string) string {
	parts := make([]string, len(keys))
	for i := range keys {
		parts[i] = fmt.Sprintf("%s %q", keys[i], vals[i])
	}
	return strings.Join(parts, " and ")
}
