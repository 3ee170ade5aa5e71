package stages

import (
	"reflect"

	"github.com/zclconf/go-cty/cty"
)

// ResourceType returns a capsule type for references to resources of one
// block kind. Two values are equal when their identities are. goType must
// be the type that BlockKind.Open returns a pointer to: Open returning
// *Sandbox pairs with ResourceType("sandbox", reflect.TypeOf(Sandbox{})).
func ResourceType(block string, goType reflect.Type) cty.Type {
	return cty.CapsuleWithOps(block, goType, &cty.CapsuleOps{
		GoString:     func(v any) string { return block + "(...)" },
		TypeGoString: func(reflect.Type) string { return block },
		RawEquals: func(a, b any) bool {
			ra, oka := a.(Resource)
			rb, okb := b.(Resource)
			return oka && okb && ra.Identity().RawEquals(rb.Identity())
		},
	})
}

// ResourceOf returns the Resource wrapped by a capsule value made with a
// ResourceType, or nil when v is not such a value.
func ResourceOf(v cty.Value) Resource {
	if v.IsNull() || !v.IsKnown() || !v.Type().IsCapsuleType() {
		return nil
	}
	r, _ := v.EncapsulatedValue().(Resource)
	return r
}
