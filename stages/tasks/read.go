package tasks

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Format is the encoding of a task file.
type Format string

// Formats ReadFile understands.
const (
	JSONL     Format = "jsonl"
	JSONLGzip Format = "jsonl.gz"
	Parquet   Format = "parquet"
)

var (
	gzipMagic    = []byte{0x1f, 0x8b}
	parquetMagic = []byte("PAR1")
)

// DetectFormat tells the format of the file at path from its first bytes:
// gzip magic means gzip-compressed JSON lines, "PAR1" means Parquet,
// anything else JSON lines. A name ending in .parquet or .gz whose content
// says otherwise is an error, so that a mislabelled file is named as such
// instead of failing as bad JSON.
func DetectFormat(path string) (Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("tasks: %w", err)
	}
	defer f.Close()
	head := make([]byte, 4)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("tasks: %s: %w", path, err)
	}
	head = head[:n]
	if n == 0 {
		return "", fmt.Errorf("tasks: %s: empty file, no tasks", path)
	}
	var got Format
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		got = JSONLGzip
	case bytes.HasPrefix(head, parquetMagic):
		got = Parquet
	default:
		got = JSONL
	}
	name := strings.ToLower(filepath.Base(path))
	switch {
	case strings.HasSuffix(name, ".parquet") && got != Parquet:
		return "", fmt.Errorf("tasks: %s: not a Parquet file (it does not start with %q)", path, parquetMagic)
	case strings.HasSuffix(name, ".gz") && got != JSONLGzip:
		return "", fmt.Errorf("tasks: %s: not gzip data (no gzip magic bytes)", path)
	}
	return got, nil
}

// ReadFile reads every task record of a BigCodeBench-format file, in file
// order. The format comes from DetectFormat. Each record must have the nine
// FieldNames as strings and a task_id not seen before; errors name the
// file, the line (JSON lines) or row (Parquet, counted from 1) and the
// field.
func ReadFile(path string) ([]Task, error) {
	format, err := DetectFormat(path)
	if err != nil {
		return nil, err
	}
	var tasks []Task
	switch format {
	case Parquet:
		tasks, err = readParquet(path)
	default:
		tasks, err = readJSONLFile(path, format == JSONLGzip)
	}
	if err != nil {
		return nil, err
	}
	if len(tasks) == 0 {
		return nil, fmt.Errorf("tasks: %s: no task records", path)
	}
	return tasks, nil
}

func readJSONLFile(path string, gzipped bool) ([]Task, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tasks: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	if gzipped {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("tasks: %s: not valid gzip: %w", path, err)
		}
		defer zr.Close()
		r = zr
	}
	return readJSONL(path, r)
}

// readJSONL parses JSON lines; blank lines are allowed and skipped.
func readJSONL(name string, r io.Reader) ([]Task, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var tasks []Task
	firstLine := map[string]int{}
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			// A truncated gzip stream ends here (unexpected EOF), before the
			// partial line could be mistaken for bad JSON.
			return nil, fmt.Errorf("tasks: %s:%d: reading failed (truncated or corrupt file?): %w", name, line, err)
		}
		if len(bytes.TrimSpace(b)) > 0 {
			t, perr := parseLine(b)
			if perr != nil {
				return nil, fmt.Errorf("tasks: %s:%d: %w", name, line, perr)
			}
			if first, dup := firstLine[t.ID]; dup {
				return nil, fmt.Errorf("tasks: %s:%d: duplicate task_id %q (first on line %d)", name, line, t.ID, first)
			}
			firstLine[t.ID] = line
			tasks = append(tasks, t)
		}
		if err == io.EOF {
			return tasks, nil
		}
	}
}

func parseLine(b []byte) (Task, error) {
	if !utf8.Valid(b) {
		return Task{}, errors.New("not valid UTF-8")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return Task{}, fmt.Errorf("column %d: invalid JSON: %v", column(b, syn.Offset), syn)
		case errors.As(err, &typ):
			return Task{}, fmt.Errorf("want a JSON object per line, got %s", typ.Value)
		}
		return Task{}, fmt.Errorf("invalid JSON: %w", err)
	}
	if obj == nil {
		return Task{}, errors.New("want a JSON object per line, got null")
	}
	t := Task{Fields: make(map[string]string, len(FieldNames))}
	for _, name := range FieldNames {
		raw, ok := obj[name]
		if !ok {
			return Task{}, fmt.Errorf("missing field %q", name)
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil || bytes.Equal(raw, []byte("null")) {
			return Task{}, fmt.Errorf("field %q: want a string, got %s", name, jsonKind(raw))
		}
		t.Fields[name] = s
	}
	return t, t.check()
}

// check validates what every record needs beyond field types.
func (t *Task) check() error {
	t.ID = t.Fields["task_id"]
	if strings.TrimSpace(t.ID) == "" {
		return errors.New(`field "task_id": empty`)
	}
	return nil
}

// column turns a byte offset into a 1-based column in runes.
func column(line []byte, offset int64) int {
	if offset > int64(len(line)) {
		offset = int64(len(line))
	}
	return utf8.RuneCount(line[:offset])
}

func jsonKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}
