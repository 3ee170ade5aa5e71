// Package let owns the `let` stage kind: a named value computed from other
// stages' results, such as the code a turn ends with. It lets a pipeline
// give one name to a value that turn 0 and later turns compute
// differently, so that prev.let.NAME reads it whichever turn came before.
//
//	stage "let" "code" {
//	  value = extract.fix.has_code ? extract.fix.code : prev.let.code
//	}
//
// Other stages read the value itself: let.code. It is recomputed on every
// walk and never cached (it costs an expression).
package let

import (
	"context"
	"fmt"

	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/stages"
)

// Runner is the let stage kind.
type Runner struct{}

var (
	_ stages.Runner    = Runner{}
	_ stages.Ephemeral = Runner{}
)

// New returns the let stage kind.
func New() stages.Runner { return Runner{} }

// Kind implements stages.Runner.
func (Runner) Kind() string { return "let" }

// CacheType implements stages.Runner.
func (Runner) CacheType() string { return "ccw.let.v1" }

// Ephemeral implements stages.Ephemeral.
func (Runner) Ephemeral() bool { return true }

// Config implements stages.Runner.
func (Runner) Config() stages.Schema {
	return stages.Schema{{Name: "value", Type: cty.DynamicPseudoType, Doc: "the value, of any type (null when absent)"}}
}

// Output implements stages.Runner: the value's own type.
func (Runner) Output() cty.Type { return cty.DynamicPseudoType }

// Run implements stages.Runner.
func (Runner) Run(_ context.Context, in stages.Input) (cty.Value, error) {
	if !in.Config.Type().IsObjectType() || !in.Config.Type().HasAttribute("value") {
		return cty.NilVal, fmt.Errorf("%s: value is required", in.Addr)
	}
	v := in.Config.GetAttr("value")
	if !v.IsWhollyKnown() {
		return cty.NilVal, fmt.Errorf("%s: value is not known", in.Addr)
	}
	return v, nil
}
