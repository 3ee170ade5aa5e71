package schemas

import (
	"fmt"
	"reflect"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// column maps one struct field to one Arrow field.
type column struct {
	index    int
	field    arrow.Field
	nullable bool // pointer field
	elem     []column
}

// Table describes a Parquet table declared by a Go struct type.
type Table struct {
	Name    string
	Version string
	Doc     string
	typ     reflect.Type
	cols    []column
	schema  *arrow.Schema
}

// NewTable derives a table from the struct type of its rows. Supported
// field types: string, bool, int32, int64, float64, pointers to those
// (nullable columns), and slices of structs made of them (list<struct>).
// It panics on anything else: tables are declared by ccw's own code.
func NewTable(name, version, doc string, row any) *Table {
	t := reflect.TypeOf(row)
	cols := structColumns(t)
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = c.field
	}
	md := arrow.NewMetadata([]string{"ccw.table", "ccw.schema_version"}, []string{name, version})
	return &Table{Name: name, Version: version, Doc: doc, typ: t, cols: cols, schema: arrow.NewSchema(fields, &md)}
}

// Schema returns the Arrow schema, with the table name and version in its
// metadata.
func (t *Table) Schema() *arrow.Schema { return t.schema }

func structColumns(t reflect.Type) []column {
	if t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("schemas: %s is not a struct", t))
	}
	var cols []column
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := f.Tag.Get("arrow")
		if name == "" || name == "-" {
			continue
		}
		c := column{index: i}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			c.nullable = true
			ft = ft.Elem()
		}
		var dt arrow.DataType
		switch ft.Kind() {
		case reflect.String:
			dt = arrow.BinaryTypes.String
		case reflect.Bool:
			dt = arrow.FixedWidthTypes.Boolean
		case reflect.Int32:
			dt = arrow.PrimitiveTypes.Int32
		case reflect.Int64:
			dt = arrow.PrimitiveTypes.Int64
		case reflect.Float64:
			dt = arrow.PrimitiveTypes.Float64
		case reflect.Slice:
			c.elem = structColumns(ft.Elem())
			sf := make([]arrow.Field, len(c.elem))
			for j, e := range c.elem {
				sf[j] = e.field
			}
			dt = arrow.ListOf(arrow.StructOf(sf...))
		default:
			panic(fmt.Sprintf("schemas: field %s.%s has unsupported type %s", t, f.Name, f.Type))
		}
		md := arrow.Metadata{}
		if doc := f.Tag.Get("doc"); doc != "" {
			md = arrow.NewMetadata([]string{"doc"}, []string{doc})
		}
		c.field = arrow.Field{Name: name, Type: dt, Nullable: c.nullable || ft.Kind() == reflect.Slice, Metadata: md}
		cols = append(cols, c)
	}
	return cols
}

// appendValue appends one Go value to the builder of its column.
func appendValue(b array.Builder, c column, v reflect.Value) {
	if c.nullable {
		if v.IsNil() {
			b.AppendNull()
			return
		}
		v = v.Elem()
	}
	switch bb := b.(type) {
	case *array.StringBuilder:
		bb.Append(v.String())
	case *array.BooleanBuilder:
		bb.Append(v.Bool())
	case *array.Int32Builder:
		bb.Append(int32(v.Int()))
	case *array.Int64Builder:
		bb.Append(v.Int())
	case *array.Float64Builder:
		bb.Append(v.Float())
	case *array.ListBuilder:
		bb.Append(true)
		sb := bb.ValueBuilder().(*array.StructBuilder)
		for i := 0; i < v.Len(); i++ {
			sb.Append(true)
			el := v.Index(i)
			for j, ec := range c.elem {
				appendValue(sb.FieldBuilder(j), ec, el.Field(ec.index))
			}
		}
	default:
		panic(fmt.Sprintf("schemas: no builder for %T", b))
	}
}

// readValue sets v from row i of arr.
func readValue(arr arrow.Array, c column, i int, v reflect.Value) {
	if arr.IsNull(i) {
		return // zero value / nil pointer
	}
	if c.nullable {
		p := reflect.New(v.Type().Elem())
		v.Set(p)
		v = p.Elem()
	}
	switch a := arr.(type) {
	case *array.String:
		v.SetString(a.Value(i))
	case *array.LargeString:
		v.SetString(a.Value(i))
	case *array.Boolean:
		v.SetBool(a.Value(i))
	case *array.Int32:
		v.SetInt(int64(a.Value(i)))
	case *array.Int64:
		v.SetInt(a.Value(i))
	case *array.Float64:
		v.SetFloat(a.Value(i))
	case *array.List:
		start, end := a.ValueOffsets(i)
		st := a.ListValues().(*array.Struct)
		out := reflect.MakeSlice(v.Type(), int(end-start), int(end-start))
		for k := start; k < end; k++ {
			el := out.Index(int(k - start))
			for j, ec := range c.elem {
				readValue(st.Field(j), ec, int(k), el.Field(ec.index))
			}
		}
		v.Set(out)
	default:
		panic(fmt.Sprintf("schemas: cannot read %T", arr))
	}
}
