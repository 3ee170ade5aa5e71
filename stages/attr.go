package stages

import (
	"fmt"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Attr returns attribute name of the evaluated body converted to ty: a
// null of ty when the body has no such attribute or it is null, and an
// error naming the instance and the attribute when the value cannot be
// converted or is not wholly known.
func (in Input) Attr(name string, ty cty.Type) (cty.Value, error) {
	cfg := in.Config
	if cfg.IsNull() || !cfg.Type().IsObjectType() || !cfg.Type().HasAttribute(name) {
		return cty.NullVal(ty), nil
	}
	v, err := convert.Convert(cfg.GetAttr(name), ty)
	if err != nil || !v.IsWhollyKnown() {
		return cty.NilVal, fmt.Errorf("%s: attribute %s: want a known %s", in.Addr, name, ty.FriendlyName())
	}
	return v, nil
}
