package cachekey

import (
	"math/big"
	"reflect"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

type fakeResource struct{ id cty.Value }

func (f *fakeResource) Identity() cty.Value { return f.id }

var fakeType = cty.Capsule("sandbox", reflect.TypeOf(fakeResource{}))

func sum(t *testing.T, parts ...any) Key {
	t.Helper()
	h := New()
	for i := 0; i < len(parts); i += 2 {
		name := parts[i].(string)
		switch v := parts[i+1].(type) {
		case string:
			h.String(name, v)
		case cty.Value:
			if err := h.Value(name, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	k, err := h.Sum()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestFrozenEncoding pins the digests of fixed inputs. If it fails, the
// key encoding changed: every user's cache is invalidated. Bump
// SchemaVersion deliberately and update the digests, or undo the change.
func TestFrozenEncoding(t *testing.T) {
	cases := []struct {
		name  string
		parts []any
		want  Key
	}{
		{"string", []any{"type", "ccw.execute.v1"}, "sha256:98bcd3b5a927884efac700ea595cc4b255d8ffd587d25139a7d595d54430f875"},
		{"object", []any{"config", cty.ObjectVal(map[string]cty.Value{
			"code":    cty.StringVal("def f():\n    return 1\n"),
			"timeout": cty.NumberIntVal(121),
			"tags":    cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")}),
			"ok":      cty.True,
			"none":    cty.NullVal(cty.String),
		})}, "sha256:fa55f3a63bd53e45080dd94fe547706e51c64411b19b54e106c9d98ad83385bd"},
		{"capsule", []any{"sandbox", cty.CapsuleVal(fakeType, &fakeResource{id: cty.ObjectVal(map[string]cty.Value{
			"backend": cty.StringVal("local"), "memory": cty.NumberIntVal(4 << 30)})})},
			"sha256:952b05547f16575805084acba30330cbc6a775fac5e721dd15339ac7fff9e195"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := sum(t, c.parts...); got != c.want {
				t.Errorf("key changed:\n got %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestDistinct(t *testing.T) {
	obj := func(m map[string]cty.Value) cty.Value { return cty.ObjectVal(m) }
	inputs := map[string][]any{
		"ab|c":        {"x", "ab", "y", "c"},
		"a|bc":        {"x", "a", "y", "bc"},
		"names swap":  {"y", "ab", "x", "c"},
		"str 1":       {"v", cty.StringVal("1")},
		"num 1":       {"v", cty.NumberIntVal(1)},
		"num 1.5":     {"v", cty.NumberFloatVal(1.5)},
		"bool true":   {"v", cty.True},
		"null string": {"v", cty.NullVal(cty.String)},
		"null number": {"v", cty.NullVal(cty.Number)},
		"list ab":     {"v", cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")})},
		"list ba":     {"v", cty.ListVal([]cty.Value{cty.StringVal("b"), cty.StringVal("a")})},
		"tuple ab":    {"v", cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")})},
		"obj a=1":     {"v", obj(map[string]cty.Value{"a": cty.StringVal("1")})},
		"obj b=1":     {"v", obj(map[string]cty.Value{"b": cty.StringVal("1")})},
		"map a=1":     {"v", cty.MapVal(map[string]cty.Value{"a": cty.StringVal("1")})},
	}
	seen := map[Key]string{}
	for name, parts := range inputs {
		k := sum(t, parts...)
		if other, dup := seen[k]; dup {
			t.Errorf("%q and %q share key %s", name, other, k)
		}
		seen[k] = name
	}
}

func TestEqualValuesEqualKeys(t *testing.T) {
	a := cty.ObjectVal(map[string]cty.Value{"x": cty.NumberIntVal(3), "y": cty.StringVal("s")})
	b := cty.ObjectVal(map[string]cty.Value{"y": cty.StringVal("s"), "x": cty.NumberFloatVal(3.0)})
	f, _ := new(big.Float).SetString("3")
	c := cty.ObjectVal(map[string]cty.Value{"y": cty.StringVal("s"), "x": cty.NumberVal(f)})
	ka, kb, kc := sum(t, "v", a), sum(t, "v", b), sum(t, "v", c)
	if ka != kb || kb != kc {
		t.Fatalf("equal values hashed differently: %s %s %s", ka, kb, kc)
	}
}

func TestRefused(t *testing.T) {
	cases := map[string]cty.Value{
		"sensitive": cty.ObjectVal(map[string]cty.Value{"key": cty.StringVal("sk-123").Mark("sensitive")}),
		"unknown":   cty.UnknownVal(cty.String),
		"capsule":   cty.CapsuleVal(cty.Capsule("thing", reflect.TypeOf(0)), new(int)),
	}
	for name, v := range cases {
		t.Run(name, func(t *testing.T) {
			h := New()
			if err := h.Value("config", v); err == nil {
				t.Fatal("accepted")
			} else if strings.Contains(err.Error(), "sk-123") {
				t.Fatalf("error leaks the value: %v", err)
			}
			if _, err := h.Sum(); err == nil {
				t.Fatal("Sum succeeded after a refused part")
			}
		})
	}
}

func TestExplainRecord(t *testing.T) {
	h := NewExplained()
	h.String("type", "ccw.score.v1")
	_ = h.Value("config", cty.ObjectVal(map[string]cty.Value{
		"sandbox": cty.CapsuleVal(fakeType, &fakeResource{id: cty.ObjectVal(map[string]cty.Value{"backend": cty.StringVal("local")})}),
	}))
	k, err := h.Sum()
	if err != nil {
		t.Fatal(err)
	}
	r := h.Record()
	if r.Key != k || len(r.Parts) != 2 {
		t.Fatalf("record %+v", r)
	}
	cfg := r.Parts[1].Value.(map[string]any)
	sb := cfg["sandbox"].(map[string]any)
	if sb["resource"] != "sandbox" {
		t.Fatalf("capsule shown as %v", sb)
	}
	if k != sum(t, "type", "ccw.score.v1", "config", cty.ObjectVal(map[string]cty.Value{
		"sandbox": cty.CapsuleVal(fakeType, &fakeResource{id: cty.ObjectVal(map[string]cty.Value{"backend": cty.StringVal("local")})}),
	})) {
		t.Fatal("explained and plain hashers disagree")
	}
}

func TestParse(t *testing.T) {
	good := "sha256:" + strings.Repeat("ab", 32)
	for _, s := range []string{good, strings.Repeat("AB", 32), " " + good + "\n"} {
		if k, err := Parse(s); err != nil || string(k) != good {
			t.Errorf("Parse(%q) = %q, %v", s, k, err)
		}
	}
	for _, s := range []string{"", "sha256:abc", "sha256:" + strings.Repeat("zz", 32)} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) accepted", s)
		}
	}
}
