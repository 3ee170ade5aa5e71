package llmstage

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/ccw-dev/ccw/internal/pystr"
)

// Prompt styles of PromptTemplateStyle and prompt_template.
const (
	// StyleCCW is our default layout: the fields always in the same place,
	// null values as empty text.
	StyleCCW = "ccw"
	// StyleDSPy is the layout dspy 2.4.12 gives the original's prompts
	// (protocol.md §4.1), for fidelity "original": a value with a newline
	// starts on the line after its prefix, the prompt ends at the first
	// null or empty field after the last filled one, and
	// refine_from_execution_feedback gets the generic "answer"
	// instruction. Wording stays ours; only the mechanics are dspy's.
	StyleDSPy = "dspy"
)

// nullMark marks a template variable that was null. It renders as empty
// text; dspy_query treats a value that carries it (or text built from it)
// as missing, as dspy treats None.
type nullMark struct{}

// templateFunctions are the functions every prompt template may call.
var templateFunctions = map[string]function.Function{
	"dspy_query": dspyQueryFunc,
}

// dspyQueryFunc renders the filled fields of a dspy prompt:
//
//	dspy_query(separator, [prefix, value], ...)
//
// one [prefix, value] pair per field of the signature, inputs first, then
// the reasoning and the output field with null values. It follows dspy
// 2.4.12's Template.query: a field is shown when its value is not null; the
// first field after the last one with a non-empty value is shown with an
// empty value (which is where the model continues); a value with a newline
// starts on the line after its prefix; fields are joined by separator; the
// result is stripped of white space at both ends.
var dspyQueryFunc = function.New(&function.Spec{
	Description: "Renders the filled fields of a prompt as dspy 2.4.12 does (protocol.md §4.1).",
	Params:      []function.Parameter{{Name: "separator", Type: cty.String}},
	VarParam: &function.Parameter{Name: "field", Type: cty.DynamicPseudoType,
		AllowMarked: true, AllowNull: true, AllowDynamicType: true},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		fields := make([]dspyField, len(args)-1)
		for i, a := range args[1:] {
			f, err := dspyFieldOf(a)
			if err != nil {
				return cty.NilVal, function.NewArgErrorf(i+1, "%s", err)
			}
			fields[i] = f
		}
		return cty.StringVal(dspyQuery(args[0].AsString(), fields)), nil
	},
})

// dspyField is one field of a dspy query: its prefix and value; missing
// when the value is null (dspy's None).
type dspyField struct {
	prefix, value string
	missing       bool
}

func dspyFieldOf(v cty.Value) (dspyField, error) {
	const want = `want a pair [prefix, value] such as ["Input:", input]`
	v, _ = v.Unmark()
	if v.IsNull() || !v.IsKnown() || !(v.Type().IsTupleType() || v.Type().IsListType()) || v.LengthInt() != 2 {
		return dspyField{}, fmt.Errorf("%s", want)
	}
	prefix, _ := v.Index(cty.NumberIntVal(0)).Unmark()
	if prefix.IsNull() || !prefix.IsKnown() || prefix.Type() != cty.String {
		return dspyField{}, fmt.Errorf("%s; the prefix is not text", want)
	}
	val := v.Index(cty.NumberIntVal(1))
	f := dspyField{prefix: prefix.AsString()}
	if val.IsNull() || val.HasMark(nullMark{}) {
		f.missing = true
		return f, nil
	}
	val, _ = val.UnmarkDeep()
	s, err := convertString(val)
	if err != nil {
		return dspyField{}, fmt.Errorf("%s; the value of %s is not text", want, f.prefix)
	}
	f.value = s
	return f, nil
}

func convertString(v cty.Value) (string, error) {
	if !v.IsKnown() {
		return "", fmt.Errorf("unknown")
	}
	switch v.Type() {
	case cty.String:
		return v.AsString(), nil
	case cty.Number:
		return v.AsBigFloat().Text('f', -1), nil
	case cty.Bool:
		return strconv.FormatBool(v.True()), nil
	}
	return "", fmt.Errorf("not text")
}

// dspyQuery is Template.query of dspy 2.4.12 for a prompt (not a demo),
// stripped as Template.__call__ strips it.
func dspyQuery(sep string, fields []dspyField) string {
	has := make([]bool, len(fields))
	filled := false
	for i, f := range fields {
		has[i] = !f.missing && f.value != ""
		filled = filled || has[i]
	}
	shown := func(i int) {
		fields[i].missing, fields[i].value = false, ""
	}
	if !filled && len(fields) > 0 {
		shown(0)
	} else {
		for i := 1; i < len(fields); i++ {
			later := false
			for _, h := range has[i:] {
				later = later || h
			}
			if has[i-1] && !later {
				shown(i)
				break
			}
		}
	}
	var parts []string
	for _, f := range fields {
		if f.missing {
			continue
		}
		gap := " "
		if strings.Contains(f.value, "\n") {
			gap = "\n"
		}
		parts = append(parts, f.prefix+gap+f.value)
	}
	return pystr.Strip(strings.Join(parts, sep))
}

// escapeTemplate makes literal text safe inside an HCL template.
func escapeTemplate(s string) string {
	return strings.NewReplacer("${", "$${", "%{", "%%{").Replace(s)
}

// dspyInputDesc is dspy's default description of a field without one:
// "${name}".
func dspyInputDesc(name string) string { return "${" + name + "}" }

// dspySpec is a structured prompt kind as a dspy signature: instructions
// and fields in prompt order (inputs, reasoning, output).
type dspySpec struct {
	instructions string
	fields       []dspyEntry
}

// dspyEntry is one field of a dspySpec.
type dspyEntry struct {
	prefix, desc string
	name         string // the template variable of an input; "" for the reasoning and output fields
	fenced       bool   // the value is the variable in a plain ``` fence
	reasoning    bool   // dspy's rationale field, whose description dspy formats by collapsing white space
}

func (k promptKind) dspySpec(kind string) dspySpec {
	out, outName := codeOut, "generated_code"
	if k.simulate {
		out, outName = feedbackOut, "user_feedback"
		out.desc += "\n---\n\n" + k.example.dspy()
	}
	spec := dspySpec{instructions: k.dspyInstructions(kind, outName)}
	for _, name := range k.inputs {
		f := fields[name]
		e := dspyEntry{prefix: f.prefix, desc: f.desc, name: name}
		if name == "input" {
			e.desc = dspyInputDesc(name) // the original's input field has no description
		}
		// The simulated user sees code in a plain fence (protocol.md §4.3).
		e.fenced = k.simulate && strings.HasSuffix(name, "_code")
		spec.fields = append(spec.fields, e)
	}
	spec.fields = append(spec.fields,
		dspyEntry{prefix: reasoningPrefix, desc: "${produce the " + outName + "}. We ...", reasoning: true},
		dspyEntry{prefix: out.prefix, desc: out.desc})
	return spec
}

// separator is how dspy joins the field lines: a blank line between them
// when there are more than three fields or a description spans lines.
func (s dspySpec) separator() string {
	if len(s.fields) > 3 {
		return "\n\n"
	}
	for _, f := range s.fields {
		if strings.Contains(f.desc, "\n") {
			return "\n\n"
		}
	}
	return "\n"
}

// template is the spec as HCL template source: instructions, the format
// (one guideline line per field), and the filled fields by dspy_query.
func (s dspySpec) template() string {
	sep := s.separator()
	guides := make([]string, len(s.fields))
	for i, f := range s.fields {
		gap := " "
		if strings.Contains(f.desc, "\n") {
			gap = "\n"
		}
		guides[i] = f.prefix + gap + f.desc
	}
	var b strings.Builder
	b.WriteString(escapeTemplate(s.instructions))
	b.WriteString("\n\n---\n\n")
	b.WriteString(escapeTemplate(pystr.Strip("Follow the following format.\n\n" + strings.Join(guides, sep))))
	b.WriteString("\n\n---\n\n")
	b.WriteString("${dspy_query(" + strconv.Quote(sep))
	for _, f := range s.fields {
		value := "null"
		switch {
		case f.fenced:
			value = "\"```\\n${" + f.name + "}\\n```\""
		case f.name != "":
			value = f.name
		}
		b.WriteString(",\n  [" + strconv.Quote(f.prefix) + ", " + value + "]")
	}
	b.WriteString("\n)}")
	return b.String()
}

// dspyInstructions are our instructions with the original's two defects
// of the dspy program (protocol.md §4.3, §10.9): the generate instruction
// names the base signature's output field, and
// refine_from_execution_feedback, missing from the refine list, gets the
// generic "answer" instruction.
func (k promptKind) dspyInstructions(kind, out string) string {
	switch kind {
	case "generate":
		return k.instructions("output")
	case "refine_from_execution_feedback":
		return "Provide the final code for " + names(k.inputs) + ", formatted as markdown."
	}
	return k.instructions(out)
}
