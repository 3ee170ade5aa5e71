package cachekey

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"

	"github.com/zclconf/go-cty/cty"
)

// Encode returns the canonical encoding of v, the same bytes a Hasher
// hashes for a value part. Results are stored in this form: it is several
// times faster to decode than JSON and round-trips every cty value without
// capsules.
func Encode(v cty.Value) ([]byte, error) {
	return appendValue(make([]byte, 0, 256), v, "value")
}

// Decode parses bytes made by Encode back into a value of type ty.
func Decode(b []byte, ty cty.Type) (cty.Value, error) {
	d := decoder{b: b}
	v := d.value(ty)
	if d.err == nil && d.i != len(d.b) {
		d.err = errors.New("trailing bytes")
	}
	if d.err != nil {
		return cty.NilVal, fmt.Errorf("decoding a %s value: %w", ty.FriendlyName(), d.err)
	}
	return v, nil
}

type decoder struct {
	b   []byte
	i   int
	err error
}

var errShort = errors.New("truncated value")

func (d *decoder) fail(err error) cty.Value {
	if d.err == nil {
		d.err = err
	}
	return cty.NilVal
}

func (d *decoder) byte() byte {
	if d.i >= len(d.b) {
		d.fail(errShort)
		return 0
	}
	c := d.b[d.i]
	d.i++
	return c
}

func (d *decoder) uvarint() int {
	n, k := binary.Uvarint(d.b[d.i:])
	if k <= 0 || n > uint64(len(d.b)) {
		d.fail(errShort)
		return 0
	}
	d.i += k
	return int(n)
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil || d.i+n > len(d.b) {
		d.fail(errShort)
		return nil
	}
	out := d.b[d.i : d.i+n]
	d.i += n
	return out
}

func (d *decoder) value(ty cty.Type) cty.Value {
	if d.err != nil {
		return cty.NilVal
	}
	tag := d.byte()
	if tag == 'N' {
		d.bytes() // the type name, informational
		return cty.NullVal(ty)
	}
	switch {
	case ty == cty.String && tag == 's':
		return cty.StringVal(string(d.bytes()))
	case ty == cty.Number && tag == 'n':
		f, _, err := big.ParseFloat(string(d.bytes()), 10, 512, big.ToNearestEven)
		if err != nil {
			return d.fail(err)
		}
		return cty.NumberVal(f)
	case ty == cty.Bool && tag == 'b':
		return cty.BoolVal(d.byte() == 1)
	case ty.IsListType() && tag == 'l', ty.IsSetType() && tag == 'e':
		n := d.uvarint()
		if n == 0 {
			if ty.IsListType() {
				return cty.ListValEmpty(ty.ElementType())
			}
			return cty.SetValEmpty(ty.ElementType())
		}
		elems := make([]cty.Value, n)
		for i := range elems {
			elems[i] = d.value(ty.ElementType())
		}
		if d.err != nil {
			return cty.NilVal
		}
		if ty.IsListType() {
			return cty.ListVal(elems)
		}
		return cty.SetVal(elems)
	case ty.IsTupleType() && tag == 't':
		ets := ty.TupleElementTypes()
		if d.uvarint() != len(ets) {
			return d.fail(errors.New("tuple length differs from its type"))
		}
		if len(ets) == 0 {
			return cty.EmptyTupleVal
		}
		elems := make([]cty.Value, len(ets))
		for i, et := range ets {
			elems[i] = d.value(et)
		}
		return cty.TupleVal(elems)
	case ty.IsMapType() && tag == 'm':
		n := d.uvarint()
		if n == 0 {
			return cty.MapValEmpty(ty.ElementType())
		}
		m := make(map[string]cty.Value, n)
		for i := 0; i < n; i++ {
			k := string(d.bytes())
			m[k] = d.value(ty.ElementType())
		}
		if d.err != nil {
			return cty.NilVal
		}
		return cty.MapVal(m)
	case ty.IsObjectType() && tag == 'o':
		at := ty.AttributeTypes()
		n := d.uvarint()
		if n != len(at) {
			return d.fail(fmt.Errorf("object has %d attributes, its type %d", n, len(at)))
		}
		if n == 0 {
			return cty.EmptyObjectVal
		}
		m := make(map[string]cty.Value, n)
		for i := 0; i < n; i++ {
			k := string(d.bytes())
			et, ok := at[k]
			if !ok {
				return d.fail(fmt.Errorf("attribute %q is not in the type", k))
			}
			m[k] = d.value(et)
		}
		if d.err != nil {
			return cty.NilVal
		}
		return cty.ObjectVal(m)
	}
	return d.fail(fmt.Errorf("tag %q does not fit type %s", tag, ty.FriendlyName()))
}
