package tasks

import (
	"reflect"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// body builds a tasks block value of Schema's object type: attributes not
// given are null, as the engine hands over an absent attribute.
func body(attrs map[string]cty.Value) cty.Value {
	full := map[string]cty.Value{}
	for name, typ := range Schema().ObjectType().AttributeTypes() {
		full[name] = cty.NullVal(typ)
	}
	for k, v := range attrs {
		full[k] = v
	}
	return cty.ObjectVal(full)
}

func TestConfigFromValue(t *testing.T) {
	pinned := "sha256:" + strings.Repeat("ab", 32)
	cases := []struct {
		name  string
		value cty.Value
		want  Config
	}{
		{"defaults", body(nil), Config{Source: "bigcodebench", Split: "v0.1.0_hf", Subset: "full"}},
		{"path means file", body(map[string]cty.Value{"path": cty.StringVal("t.jsonl")}),
			Config{Source: "file", Path: "t.jsonl", Subset: "full"}},
		{"everything", body(map[string]cty.Value{
			"source":    cty.StringVal("bigcodebench"),
			"split":     cty.StringVal("v0.1.4"),
			"path":      cty.StringVal("/data/bcb.parquet"),
			"url":       cty.StringVal("http://127.0.0.1:8080/{split}.parquet"),
			"subset":    cty.StringVal("hard"),
			"ids":       cty.ListVal([]cty.Value{cty.StringVal("BigCodeBench/13"), cty.StringVal("BigCodeBench/15")}),
			"limit":     cty.NumberIntVal(20),
			"digest":    cty.StringVal(pinned),
			"cache_dir": cty.StringVal("/tmp/c"),
			"offline":   cty.True,
		}), Config{Source: "bigcodebench", Split: "v0.1.4", Path: "/data/bcb.parquet",
			URL: "http://127.0.0.1:8080/{split}.parquet", Subset: "hard",
			IDs: []string{"BigCodeBench/13", "BigCodeBench/15"}, Limit: 20, Digest: pinned,
			CacheDir: "/tmp/c", Offline: true}},
		{"unpinned split with digest", body(map[string]cty.Value{"split": cty.StringVal("v0.1.2"), "digest": cty.StringVal(pinned)}),
			Config{Source: "bigcodebench", Split: "v0.1.2", Subset: "full", Digest: pinned}},
		{"a tuple of ids and a partial object", cty.ObjectVal(map[string]cty.Value{
			"ids":   cty.TupleVal([]cty.Value{cty.StringVal("A/1")}),
			"limit": cty.StringVal("3"),
		}), Config{Source: "bigcodebench", Split: "v0.1.0_hf", Subset: "full", IDs: []string{"A/1"}, Limit: 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ConfigFromValue(c.value)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestConfigFromValueErrors(t *testing.T) {
	s := cty.StringVal
	cases := []struct {
		name    string
		value   cty.Value
		wantErr string
	}{
		{"not an object", cty.StringVal("x"), "want an object"},
		{"null", cty.NullVal(Schema().ObjectType()), "want an object"},
		{"bad source", body(map[string]cty.Value{"source": s("huggingface")}), `source "huggingface": want "bigcodebench" or "file"`},
		{"file without path", body(map[string]cty.Value{"source": s("file")}), `source "file" needs path`},
		{"url with file", body(map[string]cty.Value{"path": s("a"), "url": s("http://x/")}), `url applies to source "bigcodebench" only`},
		{"bad url", body(map[string]cty.Value{"url": s("ftp://x/a")}), "want an http or https URL"},
		{"unpinned split", body(map[string]cty.Value{"split": s("v0.1.2")}), `split "v0.1.2" has no pinned digest (pinned: v0.1.0_hf, v0.1.4)`},
		{"split with slash", body(map[string]cty.Value{"split": s("../x")}), `split "../x"`},
		{"bad subset", body(map[string]cty.Value{"subset": s("easy")}), `subset "easy": want "full" or "hard"`},
		{"negative limit", body(map[string]cty.Value{"limit": cty.NumberIntVal(-1)}), `"limit": want a whole number`},
		{"fractional limit", body(map[string]cty.Value{"limit": cty.NumberFloatVal(2.5)}), `"limit": want a whole number`},
		{"ids twice", body(map[string]cty.Value{"ids": cty.ListVal([]cty.Value{s("A/1"), s("A/1")})}), `"A/1" listed twice`},
		{"empty id", body(map[string]cty.Value{"ids": cty.ListVal([]cty.Value{s("")})}), "ids: empty id"},
		{"null id", body(map[string]cty.Value{"ids": cty.ListVal([]cty.Value{cty.NullVal(cty.String)})}), `"ids": element 0 is null`},
		{"ids of wrong type", body(map[string]cty.Value{"ids": cty.ListVal([]cty.Value{cty.EmptyObjectVal})}), `attribute "ids": want list of string`},
		{"bad digest", body(map[string]cty.Value{"digest": s("md5:abc")}), `digest "md5:abc": want "sha256:"`},
		{"unknown", body(map[string]cty.Value{"path": cty.UnknownVal(cty.String)}), `attribute "path" is not known`},
		{"two problems at once", body(map[string]cty.Value{"source": s("x"), "subset": s("y")}), `subset "y"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ConfigFromValue(c.value)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error = %v; want one containing %q", err, c.wantErr)
			}
		})
	}
}

func TestSchemaDefaultsConvert(t *testing.T) {
	for _, a := range Schema() {
		if a.Doc == "" {
			t.Errorf("attribute %s has no Doc", a.Name)
		}
		if a.Default != cty.NilVal && !a.Default.Type().Equals(a.Type) {
			t.Errorf("attribute %s: default of type %s, want %s", a.Name, a.Default.Type().FriendlyName(), a.Type.FriendlyName())
		}
	}
}

func TestTaskValueHasSetType(t *testing.T) {
	task := makeTask("X/1")
	v := task.Value()
	if !v.Type().Equals((&Set{}).Type()) {
		t.Fatalf("Value type %s, want %s", v.Type().GoString(), (&Set{}).Type().GoString())
	}
	if got := v.GetAttr("canonical_solution").AsString(); got != "canonical_solution of X/1" {
		t.Fatalf("task.canonical_solution = %q", got)
	}
	if n := len(v.Type().AttributeTypes()); n != 9 {
		t.Fatalf("%d attributes, want 9", n)
	}
}
