package load

import (
	"context"
	"fmt"
	"strconv"

	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/stages"
)

// Runner is the `load` stage kind:
//
//	stage "load" "initial" {
//	  path  = var.initial                  # .jsonl, .jsonl.gz or .parquet
//	  where = { task_id = task.task_id }   # the record whose fields have these values
//	}
//
// With at_most = { FIELD = N } it is an as-of lookup: among the records
// matching where, the one whose FIELD is the greatest number not above N
// (a reference run's last logged turn up to some turn, say).
//
// Its result is {record, digest}: the record's fields as text (strings as
// they are, other JSON values JSON-encoded, null as null) and the file's
// content digest. No matching record, or several, is an error naming the
// file, the fields and the values. It is ephemeral: a lookup in a file
// read once per process is cheaper than the cache.
type Runner struct{}

var (
	_ stages.Runner    = Runner{}
	_ stages.Ephemeral = Runner{}
)

// New returns the load stage kind.
func New() stages.Runner { return Runner{} }

// OutputType is the result type of a load stage.
var OutputType = cty.Object(map[string]cty.Type{
	"record": cty.Map(cty.String),
	"digest": cty.String,
})

// Kind implements stages.Runner.
func (Runner) Kind() string { return "load" }

// CacheType implements stages.Runner.
func (Runner) CacheType() string { return "ccw.load.v1" }

// Ephemeral implements stages.Ephemeral.
func (Runner) Ephemeral() bool { return true }

// Output implements stages.Runner.
func (Runner) Output() cty.Type { return OutputType }

// Config implements stages.Runner.
func (Runner) Config() stages.Schema {
	return stages.Schema{
		// Neither is Required: a stage skipped by `when` may leave them null
		// (a protocol's path variable without a value); Run needs both.
		{Name: "path", Type: cty.String, Default: cty.NullVal(cty.String),
			Doc: "the data file (needed): JSON lines (.jsonl), gzip-compressed JSON lines (.jsonl.gz) or Parquet (.parquet); a relative path is relative to the working directory"},
		{Name: "where", Type: cty.Map(cty.String), Default: cty.NullVal(cty.Map(cty.String)),
			Doc: "field → value of the one record to return (needed), e.g. { task_id = task.task_id }; non-string fields compare as their JSON text"},
		{Name: "at_most", Type: cty.Map(cty.String), Default: cty.NullVal(cty.Map(cty.String)),
			Doc: "as-of lookup, one FIELD = N: of the records matching where, the one whose FIELD is the greatest number not above N, e.g. { turn = turn.index - 1 }"},
	}
}

// Run implements stages.Runner.
func (Runner) Run(_ context.Context, in stages.Input) (cty.Value, error) {
	get := func(name string, ty cty.Type) (cty.Value, error) {
		v, err := in.Attr(name, ty)
		if err == nil && v.IsNull() {
			err = fmt.Errorf("%s: attribute %s is required", in.Addr, name)
		}
		return v, err
	}
	pathV, err := get("path", cty.String)
	if err != nil {
		return cty.NilVal, err
	}
	whereV, err := get("where", cty.Map(cty.String))
	if err != nil {
		return cty.NilVal, err
	}
	where := map[string]string{}
	for k, v := range whereV.AsValueMap() {
		if v.IsNull() {
			return cty.NilVal, fmt.Errorf("%s: attribute where: the value of %s is null", in.Addr, k)
		}
		where[k] = v.AsString()
	}
	path := pathV.AsString()
	if path == "" {
		return cty.NilVal, fmt.Errorf("%s: attribute path is empty", in.Addr)
	}
	asOf, err := in.Attr("at_most", cty.Map(cty.String))
	if err != nil {
		return cty.NilVal, err
	}
	var field string
	var atMost float64
	if !asOf.IsNull() {
		m := asOf.AsValueMap()
		if len(m) != 1 {
			return cty.NilVal, fmt.Errorf("%s: attribute at_most: want one FIELD = NUMBER, got %d fields", in.Addr, len(m))
		}
		for k, v := range m {
			if v.IsNull() {
				return cty.NilVal, fmt.Errorf("%s: attribute at_most: the value of %s is null", in.Addr, k)
			}
			n, perr := strconv.ParseFloat(v.AsString(), 64)
			if perr != nil {
				return cty.NilVal, fmt.Errorf("%s: attribute at_most: %s = %q is not a number", in.Addr, k, v.AsString())
			}
			field, atMost = k, n
		}
	}
	f, err := Open(path)
	if err != nil {
		return cty.NilVal, fmt.Errorf("%s: %w", in.Addr, err)
	}
	var rec Record
	if field != "" {
		rec, err = f.Latest(where, field, atMost)
	} else {
		rec, err = f.Find(where)
	}
	if err != nil {
		return cty.NilVal, fmt.Errorf("%s: %w", in.Addr, err)
	}
	return cty.ObjectVal(map[string]cty.Value{"record": rec.Value(), "digest": cty.StringVal(f.Digest)}), nil
}

// Value converts r to a cty map of strings (nulls stay null).
func (r Record) Value() cty.Value {
	if len(r) == 0 {
		return cty.MapValEmpty(cty.String)
	}
	m := make(map[string]cty.Value, len(r))
	for k, v := range r {
		if v == nil {
			m[k] = cty.NullVal(cty.String)
		} else {
			m[k] = cty.StringVal(*v)
		}
	}
	return cty.MapVal(m)
}
