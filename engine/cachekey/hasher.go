package cachekey

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// Identifier is what a capsule value must wrap to enter a key: resources
// (stages.Resource) satisfy it.
type Identifier interface {
	Identity() cty.Value
}

// Part is one named input of a key, as an explain record shows it.
type Part struct {
	Name  string `json:"name"`
	Kind  string `json:"kind"` // "string" or "value"
	Type  string `json:"type,omitempty"`
	Value any    `json:"value"`
}

// Record says what went into a key.
type Record struct {
	Key   Key    `json:"key"`
	Parts []Part `json:"parts"`
	// Address names the stage instance that computed the result (the
	// first one: instances with equal inputs share it). It is not hashed.
	Address string `json:"address,omitempty"`
}

// Hasher accumulates named parts and yields a Key. The zero value is not
// usable; call New or NewExplained.
type Hasher struct {
	buf []byte
	rec *Record
	err error
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// New returns a Hasher that records nothing but the digest.
func New() *Hasher {
	b := bufPool.Get().(*[]byte)
	return &Hasher{buf: (*b)[:0]}
}

// NewExplained returns a Hasher that also keeps an explain Record.
func NewExplained() *Hasher {
	h := New()
	h.rec = &Record{}
	return h
}

func (h *Hasher) part(name string, kind byte) {
	h.buf = append(h.buf, 'P', kind)
	h.buf = binary.AppendUvarint(h.buf, uint64(len(name)))
	h.buf = append(h.buf, name...)
}

// String adds a named string part.
func (h *Hasher) String(name, s string) {
	h.part(name, 's')
	h.buf = binary.AppendUvarint(h.buf, uint64(len(s)))
	h.buf = append(h.buf, s...)
	if h.rec != nil {
		h.rec.Parts = append(h.rec.Parts, Part{Name: name, Kind: "string", Value: s})
	}
}

// Value adds a named cty value part. Unknown, marked (sensitive) and
// capsule values without an Identity are refused; the error sticks and is
// returned by Sum as well.
func (h *Hasher) Value(name string, v cty.Value) error {
	h.part(name, 'v')
	var err error
	h.buf, err = appendValue(h.buf, v, name)
	if err != nil {
		if h.err == nil {
			h.err = err
		}
		return err
	}
	if h.rec != nil {
		h.rec.Parts = append(h.rec.Parts, Part{Name: name, Kind: "value", Type: typeName(v.Type()), Value: display(v)})
	}
	return nil
}

// Sum returns the key of everything added so far and releases the Hasher's
// buffer; the Hasher must not be used afterwards.
func (h *Hasher) Sum() (Key, error) {
	if h.err != nil {
		return "", h.err
	}
	k := FromDigest(sha256.Sum256(h.buf))
	if h.rec != nil {
		h.rec.Key = k
	}
	b := h.buf[:0]
	h.buf = nil
	if cap(b) <= 1<<20 {
		bufPool.Put(&b)
	}
	return k, nil
}

// Record returns the explain record after Sum, or nil for a plain Hasher.
func (h *Hasher) Record() *Record { return h.rec }

func appendValue(b []byte, v cty.Value, path string) ([]byte, error) {
	if v.IsMarked() {
		return b, fmt.Errorf("%s: a sensitive value cannot be part of a cache key", path)
	}
	if !v.IsKnown() {
		return b, fmt.Errorf("%s: value is not known yet", path)
	}
	ty := v.Type()
	if v.IsNull() {
		b = append(b, 'N')
		tn := typeName(ty)
		b = binary.AppendUvarint(b, uint64(len(tn)))
		return append(b, tn...), nil
	}
	switch {
	case ty == cty.String:
		s := v.AsString()
		b = append(b, 's')
		b = binary.AppendUvarint(b, uint64(len(s)))
		return append(b, s...), nil
	case ty == cty.Number:
		s := numberText(v)
		b = append(b, 'n')
		b = binary.AppendUvarint(b, uint64(len(s)))
		return append(b, s...), nil
	case ty == cty.Bool:
		if v.True() {
			return append(b, 'b', 1), nil
		}
		return append(b, 'b', 0), nil
	case ty.IsListType(), ty.IsSetType(), ty.IsTupleType():
		tag := byte('l')
		if ty.IsSetType() {
			tag = 'e'
		} else if ty.IsTupleType() {
			tag = 't'
		}
		b = append(b, tag)
		b = binary.AppendUvarint(b, uint64(v.LengthInt()))
		i := 0
		var err error
		for it := v.ElementIterator(); it.Next(); i++ {
			_, e := it.Element()
			if b, err = appendValue(b, e, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return b, err
			}
		}
		return b, nil
	case ty.IsMapType():
		b = append(b, 'm')
		b = binary.AppendUvarint(b, uint64(v.LengthInt()))
		var err error
		for it := v.ElementIterator(); it.Next(); { // cty iterates maps in key order
			k, e := it.Element()
			ks := k.AsString()
			b = binary.AppendUvarint(b, uint64(len(ks)))
			b = append(b, ks...)
			if b, err = appendValue(b, e, path+"["+ks+"]"); err != nil {
				return b, err
			}
		}
		return b, nil
	case ty.IsObjectType():
		names := sortedAttrs(ty)
		b = append(b, 'o')
		b = binary.AppendUvarint(b, uint64(len(names)))
		var err error
		for _, n := range names {
			b = binary.AppendUvarint(b, uint64(len(n)))
			b = append(b, n...)
			if b, err = appendValue(b, v.GetAttr(n), path+"."+n); err != nil {
				return b, err
			}
		}
		return b, nil
	case ty.IsCapsuleType():
		id, ok := v.EncapsulatedValue().(Identifier)
		if !ok {
			return b, fmt.Errorf("%s: a %s value has no identity and cannot be part of a cache key", path, ty.FriendlyName())
		}
		tn := ty.FriendlyName()
		b = append(b, 'c')
		b = binary.AppendUvarint(b, uint64(len(tn)))
		b = append(b, tn...)
		return appendValue(b, id.Identity(), path+"<"+tn+">")
	}
	return b, fmt.Errorf("%s: values of type %s cannot be part of a cache key", path, ty.FriendlyName())
}

func sortedAttrs(ty cty.Type) []string {
	at := ty.AttributeTypes()
	names := make([]string, 0, len(at))
	for n := range at {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func numberText(v cty.Value) string {
	bf := v.AsBigFloat()
	if bf.IsInt() {
		i, _ := bf.Int(nil)
		return i.String()
	}
	return bf.Text('g', -1)
}

func typeName(ty cty.Type) string {
	if j, err := ctyjson.MarshalType(ty); err == nil {
		return string(j)
	}
	return ty.FriendlyName()
}

// display renders v as plain JSON-able Go values for an explain record.
func display(v cty.Value) any {
	if v.IsMarked() {
		return "(sensitive)"
	}
	if !v.IsKnown() {
		return "(unknown)"
	}
	if v.IsNull() {
		return nil
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		return v.AsString()
	case ty == cty.Number:
		return json.Number(numberText(v))
	case ty == cty.Bool:
		return v.True()
	case ty.IsListType(), ty.IsSetType(), ty.IsTupleType():
		out := []any{}
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = append(out, display(e))
		}
		return out
	case ty.IsMapType():
		out := map[string]any{}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			out[k.AsString()] = display(e)
		}
		return out
	case ty.IsObjectType():
		out := map[string]any{}
		for n := range ty.AttributeTypes() {
			out[n] = display(v.GetAttr(n))
		}
		return out
	case ty.IsCapsuleType():
		if id, ok := v.EncapsulatedValue().(Identifier); ok {
			return map[string]any{"resource": ty.FriendlyName(), "identity": display(id.Identity())}
		}
	}
	return "(" + ty.FriendlyName() + ")"
}
