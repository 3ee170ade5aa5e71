package sandbox

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/stages/sandbox/sandboxtest"
)

// body builds a sandbox body value: every schema attribute null except attrs.
func body(attrs map[string]cty.Value) cty.Value {
	return sandboxtest.Body(schema.ObjectType().AttributeTypes(), attrs)
}

func TestContainerLabelIsShared(t *testing.T) {
	if sandboxtest.ContainerLabel != LabelOwner {
		t.Fatalf("sandboxtest.ContainerLabel = %q, want %q", sandboxtest.ContainerLabel, LabelOwner)
	}
}

func TestConfigFromValue(t *testing.T) {
	cases := []struct {
		name  string
		attrs map[string]cty.Value
		check func(c Config) bool
		err   string
	}{
		{name: "defaults", check: func(c Config) bool {
			return c.Backend == "local" && c.Python == "/usr/bin/python3" && c.Limits == DefaultLimits() &&
				c.Slots == runtime.NumCPU() && c.Workers == "warm" && len(c.Preload) == len(DefaultPreload)
		}},
		{name: "limits", attrs: map[string]cty.Value{
			"timeout": cty.StringVal("2m"), "memory": cty.StringVal("512MiB"), "pids": cty.NumberIntVal(64),
			"file_size": cty.StringVal("1MB"), "output": cty.StringVal("unlimited"), "network": cty.True,
		}, check: func(c Config) bool {
			return c.Limits.Timeout == 2*time.Minute && c.Limits.Memory == 512<<20 && c.Limits.Pids == 64 &&
				c.Limits.FileSize == 1000000 && c.Limits.Output == 0 && c.Limits.Network
		}},
		{name: "docker defaults to python3 on the image", attrs: map[string]cty.Value{
			"backend": cty.StringVal("docker"), "image": cty.StringVal("img:1"),
		}, check: func(c Config) bool { return c.Python == "python3" && c.Image == "img:1" }},
		{name: "preload", attrs: map[string]cty.Value{"preload": cty.ListVal([]cty.Value{cty.StringVal("scipy.stats")})},
			check: func(c Config) bool { return len(c.Preload) == 1 && c.Preload[0] == "scipy.stats" }},
		{name: "bad backend", attrs: map[string]cty.Value{"backend": cty.StringVal("k8s")}, err: `backend: want "local" or "docker", got "k8s"`},
		{name: "docker needs an image", attrs: map[string]cty.Value{"backend": cty.StringVal("docker")}, err: "image: the docker backend needs an image"},
		{name: "image only for docker", attrs: map[string]cty.Value{"image": cty.StringVal("x")}, err: "image, mounts: only the docker backend"},
		{name: "bad timeout", attrs: map[string]cty.Value{"timeout": cty.StringVal("121")}, err: `timeout: "121" is not a Go duration`},
		{name: "negative timeout", attrs: map[string]cty.Value{"timeout": cty.StringVal("-1s")}, err: "timeout: must be positive"},
		{name: "bad size", attrs: map[string]cty.Value{"memory": cty.StringVal("4 gigs")}, err: `memory: size "4 gigs"`},
		{name: "fractional pids", attrs: map[string]cty.Value{"pids": cty.NumberFloatVal(1.5)}, err: "pids: want a whole number"},
		{name: "zero slots", attrs: map[string]cty.Value{"slots": cty.NumberIntVal(0)}, err: "slots: want at least 1"},
		{name: "bad workers", attrs: map[string]cty.Value{"workers": cty.StringVal("hot")}, err: `workers: want "warm" or "fresh"`},
		{name: "bad preload", attrs: map[string]cty.Value{"preload": cty.ListVal([]cty.Value{cty.StringVal("os; import x")})}, err: "is not a Python module name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ConfigFromValue(body(c.attrs))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !c.check(got) {
				t.Fatalf("unexpected config %+v", got)
			}
		})
	}
}

func TestOpenNamesTheBlock(t *testing.T) {
	_, err := Block().Open("py", body(map[string]cty.Value{"memory": cty.StringVal("lots")}))
	if err == nil || !strings.HasPrefix(err.Error(), `sandbox "py": memory:`) {
		t.Fatalf("err = %v", err)
	}
}

func TestIdentity(t *testing.T) {
	open := func(name string, attrs map[string]cty.Value) cty.Value {
		r, err := Block().Open(name, body(attrs))
		if err != nil {
			t.Fatal(err)
		}
		return r.Identity()
	}
	base := open("a", nil)
	same := []map[string]cty.Value{
		{"slots": cty.NumberIntVal(7)},
		{"workers": cty.StringVal("warm"), "recycle": cty.NumberIntVal(5)},
		{"preload": cty.ListValEmpty(cty.String)},
		{"timeout": cty.StringVal("2m1s")},
	}
	for _, attrs := range same {
		if id := open("b", attrs); !id.RawEquals(base) {
			t.Errorf("%v changed the identity: %#v", attrs, id)
		}
	}
	differ := []map[string]cty.Value{
		{"timeout": cty.StringVal("30s")},
		{"memory": cty.StringVal("2GiB")},
		{"pids": cty.NumberIntVal(10)},
		{"file_size": cty.StringVal("1MiB")},
		{"disk": cty.StringVal("2GiB")},
		{"output": cty.StringVal("2MiB")},
		{"output_kill": cty.StringVal("1GiB")},
		{"network": cty.True},
		{"python": cty.StringVal("/usr/bin/python3.11")},
		{"backend": cty.StringVal("docker"), "image": cty.StringVal("x")},
	}
	for _, attrs := range differ {
		if id := open("a", attrs); id.RawEquals(base) {
			t.Errorf("%v did not change the identity", attrs)
		}
	}
}

func TestCapsule(t *testing.T) {
	r, err := Block().Open("py", body(nil))
	if err != nil {
		t.Fatal(err)
	}
	v := r.(*Sandbox).Value()
	if !v.Type().Equals(Block().Type()) {
		t.Fatalf("capsule type %#v", v.Type())
	}
}
