package schemas

import (
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/zclconf/go-cty/cty"
)

// CallsSchemaVersion is the version of the calls.parquet layout, stored in
// the Arrow schema metadata under SchemaVersionKey. Bump it whenever a
// column is added, removed, renamed or changes type.
const CallsSchemaVersion = "1"

// SchemaVersionKey is the Arrow schema metadata key holding the version of
// a ccw table layout.
const SchemaVersionKey = "ccw.schema_version"

// callField is one column of calls.parquet that comes from a call record.
type callField struct {
	name string
	cty  cty.Type
	doc  string
}

// callFields lists the columns taken from one call record, in column order.
// CallType and the call part of CallsSchema are both derived from it.
var callFields = []callField{
	{"role", cty.String, "coder or simulator"},
	{"model", cty.String, "model name as configured (name attribute of the model block)"},
	{"provider", cty.String, "openai, azure, vllm, ollama, llamacpp, tgi, openai_compatible or mock"},
	{"mock", cty.Bool, "true when the answer came from the mock provider"},
	{"call_key", cty.String, "sub-store key of the canonical request (sha256:...)"},
	{"prompt_digest", cty.String, "sha256 of the rendered messages"},
	{"sample", cty.Number, "sample index of the request"},
	{"tokens_in", cty.Number, "prompt tokens as reported by the endpoint (estimated for mock)"},
	{"tokens_out", cty.Number, "completion tokens as reported by the endpoint (estimated for mock)"},
	{"latency_ms", cty.Number, "wall time of the attempt that answered"},
	{"retries", cty.Number, "failed attempts before the answer"},
	{"cost_usd", cty.Number, "price of the tokens in US dollars"},
	{"cached", cty.Bool, "served from the sub-store instead of the network"},
	{"system_fingerprint", cty.String, "system_fingerprint of the response, if any"},
	{"response_model", cty.String, "model name the endpoint reported"},
	{"finish_reason", cty.String, "finish reason of the first choice"},
	{"error", cty.String, "model-side outcome such as context_length_exceeded, empty on success"},
}

// CallType is the cty type of one call record: the element type of the
// `calls` output attribute of every stage that talks to a model.
var CallType = func() cty.Type {
	attrs := make(map[string]cty.Type, len(callFields))
	for _, f := range callFields {
		attrs[f.name] = f.cty
	}
	return cty.Object(attrs)
}()

// CallsType is the type of a `calls` attribute: a list of CallType.
var CallsType = cty.List(CallType)

// CallSource says which vertex a call belongs to. The engine fills it from
// the vertex that produced the result holding the calls: stage results are
// cached by content and shared between vertices, so the records themselves
// carry no address.
type CallSource struct {
	Experiment  string
	Combination string
	Task        string
	// Turn is the turn index; negative means the stage is not per turn.
	Turn int
	// Stage is the stage address, for example "refine.fix".
	Stage string
	// VertexKey is the cache key of the vertex result.
	VertexKey string
}

// sourceColumns is the number of leading CallSource columns.
const sourceColumns = 6

// CallsSchema is the Arrow schema of calls.parquet: the CallSource columns,
// then one column per call record attribute.
var CallsSchema = func() *arrow.Schema {
	fields := []arrow.Field{
		{Name: "experiment", Type: arrow.BinaryTypes.String},
		{Name: "combination", Type: arrow.BinaryTypes.String},
		{Name: "task", Type: arrow.BinaryTypes.String},
		{Name: "turn", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "stage", Type: arrow.BinaryTypes.String},
		{Name: "vertex_key", Type: arrow.BinaryTypes.String},
	}
	for _, f := range callFields {
		fields = append(fields, arrow.Field{Name: f.name, Type: arrowTypeOf(f)})
	}
	md := arrow.NewMetadata([]string{SchemaVersionKey, "ccw.table"}, []string{CallsSchemaVersion, "calls"})
	return arrow.NewSchema(fields, &md)
}()

func arrowTypeOf(f callField) arrow.DataType {
	switch {
	case f.cty == cty.String:
		return arrow.BinaryTypes.String
	case f.cty == cty.Bool:
		return arrow.FixedWidthTypes.Boolean
	case f.name == "cost_usd":
		return arrow.PrimitiveTypes.Float64
	default:
		return arrow.PrimitiveTypes.Int64
	}
}

// CallsWriter writes calls.parquet (zstd) row by row. Rows are buffered and
// flushed as row groups of at most RowGroupRows rows.
type CallsWriter struct {
	fw      *pqarrow.FileWriter
	b       *array.RecordBuilder
	pending int
	// RowGroupRows bounds memory: a row group is written when reached.
	RowGroupRows int
}

// NewCallsWriter starts a calls.parquet file on w.
func NewCallsWriter(w io.Writer) (*CallsWriter, error) {
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd), parquet.WithCreatedBy("ccw"))
	fw, err := pqarrow.NewFileWriter(CallsSchema, w, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		return nil, fmt.Errorf("calls.parquet: %w", err)
	}
	return &CallsWriter{fw: fw, b: array.NewRecordBuilder(memory.DefaultAllocator, CallsSchema), RowGroupRows: 64 << 10}, nil
}

// Add appends every record of calls (a CallsType list, or null) under src.
func (cw *CallsWriter) Add(src CallSource, calls cty.Value) error {
	if calls.IsNull() {
		return nil
	}
	if !calls.IsWhollyKnown() || !(calls.Type().IsListType() || calls.Type().IsTupleType()) {
		return fmt.Errorf("calls of %s: want a known list of call records, got %s", src.Stage, calls.Type().FriendlyName())
	}
	for it := calls.ElementIterator(); it.Next(); {
		i, rec := it.Element()
		if err := cw.addRow(src, rec); err != nil {
			return fmt.Errorf("calls of %s, record %s: %w", src.Stage, i.AsBigFloat().String(), err)
		}
	}
	return nil
}

func (cw *CallsWriter) addRow(src CallSource, rec cty.Value) error {
	if rec.IsNull() || !rec.Type().IsObjectType() {
		return fmt.Errorf("want an object, got %s", rec.Type().FriendlyName())
	}
	// Check the whole record before appending anything, so that a bad record
	// leaves no partial row behind.
	for _, f := range callFields {
		if !rec.Type().HasAttribute(f.name) {
			return fmt.Errorf("missing attribute %q", f.name)
		}
		if v := rec.GetAttr(f.name); !v.IsNull() && !v.Type().Equals(f.cty) {
			return fmt.Errorf("attribute %q: want %s, got %s", f.name, f.cty.FriendlyName(), v.Type().FriendlyName())
		}
	}
	for i, s := range []string{src.Experiment, src.Combination, src.Task} {
		cw.b.Field(i).(*array.StringBuilder).Append(s)
	}
	if src.Turn < 0 {
		cw.b.Field(3).AppendNull()
	} else {
		cw.b.Field(3).(*array.Int32Builder).Append(int32(src.Turn))
	}
	cw.b.Field(4).(*array.StringBuilder).Append(src.Stage)
	cw.b.Field(5).(*array.StringBuilder).Append(src.VertexKey)
	for j, f := range callFields {
		appendValue(cw.b.Field(sourceColumns+j), rec.GetAttr(f.name))
	}
	cw.pending++
	if cw.pending >= cw.RowGroupRows {
		return cw.flush()
	}
	return nil
}

// appendValue appends v to a builder of the matching Arrow type; null
// values become zero values (the columns are not nullable).
func appendValue(b array.Builder, v cty.Value) {
	switch b := b.(type) {
	case *array.StringBuilder:
		if v.IsNull() {
			b.Append("")
		} else {
			b.Append(v.AsString())
		}
	case *array.BooleanBuilder:
		b.Append(!v.IsNull() && v.True())
	case *array.Float64Builder:
		var f float64
		if !v.IsNull() {
			f, _ = v.AsBigFloat().Float64()
		}
		b.Append(f)
	case *array.Int64Builder:
		var n int64
		if !v.IsNull() {
			n, _ = v.AsBigFloat().Int64()
		}
		b.Append(n)
	}
}

func (cw *CallsWriter) flush() error {
	if cw.pending == 0 {
		return nil
	}
	rec := cw.b.NewRecordBatch()
	defer rec.Release()
	cw.pending = 0
	if err := cw.fw.Write(rec); err != nil {
		return fmt.Errorf("calls.parquet: %w", err)
	}
	return nil
}

// Close flushes the buffered rows and finishes the file; like pqarrow's
// writer it also closes w when w is an io.Closer.
func (cw *CallsWriter) Close() error {
	defer cw.b.Release()
	if err := cw.flush(); err != nil {
		return err
	}
	if err := cw.fw.Close(); err != nil {
		return fmt.Errorf("calls.parquet: %w", err)
	}
	return nil
}

// CallRow is one vertex's calls for WriteCalls.
type CallRow struct {
	Source CallSource
	Calls  cty.Value
}

// WriteCalls writes a complete calls.parquet with the calls of every row,
// in order.
func WriteCalls(w io.Writer, rows []CallRow) error {
	cw, err := NewCallsWriter(w)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Add(r.Source, r.Calls); err != nil {
			_ = cw.Close()
			return err
		}
	}
	return cw.Close()
}
