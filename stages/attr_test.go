package stages

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestInputAttr(t *testing.T) {
	in := Input{Addr: "x.y", Config: cty.ObjectVal(map[string]cty.Value{
		"n": cty.NumberIntVal(3), "s": cty.StringVal("4"), "u": cty.UnknownVal(cty.String), "l": cty.ListValEmpty(cty.String),
	})}
	if v, err := in.Attr("n", cty.String); err != nil || v.AsString() != "3" {
		t.Errorf("n as string: %#v %v", v, err)
	}
	if v, err := in.Attr("s", cty.Number); err != nil || !v.RawEquals(cty.NumberIntVal(4)) {
		t.Errorf("s as number: %#v %v", v, err)
	}
	if v, err := in.Attr("missing", cty.Bool); err != nil || !v.RawEquals(cty.NullVal(cty.Bool)) {
		t.Errorf("missing: %#v %v", v, err)
	}
	for _, name := range []string{"u", "l"} {
		if _, err := in.Attr(name, cty.Number); err == nil || !strings.Contains(err.Error(), "x.y: attribute "+name+": want a known number") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if v, err := (Input{Config: cty.NullVal(cty.DynamicPseudoType)}).Attr("a", cty.String); err != nil || !v.IsNull() {
		t.Errorf("null body: %#v %v", v, err)
	}
}
