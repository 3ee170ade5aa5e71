package cachekey

import (
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestCodecRoundTrip(t *testing.T) {
	vals := []cty.Value{
		cty.StringVal("héllo\n"),
		cty.NumberIntVal(-42),
		cty.NumberFloatVal(0.1),
		cty.True,
		cty.NullVal(cty.String),
		cty.ListValEmpty(cty.String),
		cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")}),
		cty.SetVal([]cty.Value{cty.NumberIntVal(1), cty.NumberIntVal(2)}),
		cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.True}),
		cty.MapVal(map[string]cty.Value{"x": cty.NumberIntVal(1)}),
		cty.EmptyObjectVal,
		cty.ObjectVal(map[string]cty.Value{
			"status": cty.StringVal("pass"),
			"tests":  cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("t"), "ok": cty.False})}),
			"none":   cty.NullVal(cty.Number),
		}),
	}
	for _, v := range vals {
		b, err := Encode(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(b, v.Type())
		if err != nil {
			t.Fatalf("%#v: %v", v, err)
		}
		if !got.RawEquals(v) {
			t.Fatalf("round trip %#v -> %#v", v, got)
		}
	}
}

func TestCodecRejectsDamage(t *testing.T) {
	v := cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("hello"), "b": cty.NumberIntVal(3)})
	b, _ := Encode(v)
	for cut := 0; cut < len(b); cut++ {
		if _, err := Decode(b[:cut], v.Type()); err == nil {
			t.Fatalf("truncated at %d accepted", cut)
		}
	}
	if _, err := Decode(b, cty.Object(map[string]cty.Type{"a": cty.String, "c": cty.Number})); err == nil {
		t.Fatal("wrong type accepted")
	}
	if _, err := Decode(append(b, 0), v.Type()); err == nil {
		t.Fatal("trailing bytes accepted")
	}
}

func FuzzDecode(f *testing.F) {
	ty := cty.Object(map[string]cty.Type{"a": cty.String, "l": cty.List(cty.Number)})
	b, _ := Encode(cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("x"), "l": cty.ListVal([]cty.Value{cty.NumberIntVal(1)})}))
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Decode(data, ty) // must not panic
	})
}
