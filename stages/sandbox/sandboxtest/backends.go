package sandboxtest

import (
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// Backend is one way of running jobs that every semantic test must pass:
// the attributes of a sandbox block, and what the machine needs for it.
type Backend struct {
	Name  string
	Need  func(t testing.TB)
	Attrs map[string]cty.Value
}

// Backends are local fresh, local warm and docker (the test image).
var Backends = []Backend{
	{Name: "local-fresh", Need: NeedPython, Attrs: map[string]cty.Value{"workers": cty.StringVal("fresh")}},
	{Name: "local-warm", Need: NeedPython, Attrs: map[string]cty.Value{"workers": cty.StringVal("warm")}},
	{Name: "docker", Need: NeedDocker, Attrs: map[string]cty.Value{
		"backend": cty.StringVal("docker"),
		"image":   cty.StringVal(DockerImage),
		"python":  cty.StringVal(Python),
		"mounts":  cty.ListVal([]cty.Value{cty.StringVal("/usr:/usr:ro"), cty.StringVal("/etc/alternatives:/etc/alternatives:ro")}),
	}},
}

// Body returns a sandbox block body for schema attribute names and types:
// every attribute null except those in attrs (later maps win).
func Body(schema map[string]cty.Type, attrs ...map[string]cty.Value) cty.Value {
	m := map[string]cty.Value{}
	for name, ty := range schema {
		m[name] = cty.NullVal(ty)
	}
	for _, a := range attrs {
		for k, v := range a {
			m[k] = v
		}
	}
	return cty.ObjectVal(m)
}

// BackendNamed returns the backend called name; it panics for an unknown
// name (a typo in a test).
func BackendNamed(name string) Backend {
	for _, b := range Backends {
		if b.Name == name {
			return b
		}
	}
	panic("sandboxtest: no backend " + name)
}
