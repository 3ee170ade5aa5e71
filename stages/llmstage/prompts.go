package llmstage

import (
	"fmt"
	"sort"
	"strings"
)

// field is one field of a structured prompt: its prefix in the prompt and
// the description on its format line.
type field struct {
	prefix string
	desc   string
}

var fields = map[string]field{
	"input":                {"Input:", "the task, as the user stated it"},
	"previous_code":        {"Previous Code:", "python code generated earlier that has a problem"},
	"compilation_feedback": {"Compilation Feedback:", "what compiling the previous code reported"},
	"execution_feedback":   {"Execution Feedback:", "the tests that failed when the previous code ran, with their errors"},
	"user_feedback":        {"User Feedback:", "what the (simulated) user said about the previous code"},
	"ground_truth_code":    {"Ground Truth Code:", "a correct solution that only the simulated user knows"},
}

// Output fields: what the model writes after its reasoning.
var (
	codeOut     = field{"Code:", "python code that meets the user's requirements"}
	feedbackOut = field{"User Feedback:", "feedback on the previous code, as the (simulated) user would give it"}
)

// promptKind describes one default prompt (protocol.md §4.3).
type promptKind struct {
	inputs   []string
	simulate bool    // output is user_feedback, else generated_code
	persona  string  // simulate: "expert" or "novice"
	example  example // simulate: the few-shot example
}

var promptKinds = map[string]promptKind{
	"generate":                            {inputs: []string{"input"}},
	"refine_from_compilation_feedback":    {inputs: []string{"input", "previous_code", "compilation_feedback"}},
	"refine_from_execution_feedback":      {inputs: []string{"input", "previous_code", "execution_feedback"}},
	"refine_from_user_feedback":           {inputs: []string{"input", "previous_code", "user_feedback"}},
	"refine_from_execution_user_feedback": {inputs: []string{"input", "previous_code", "execution_feedback", "user_feedback"}},
	"simulate_user_feedback": {inputs: []string{"input", "ground_truth_code", "previous_code"},
		simulate: true, persona: "expert", example: exampleExpert},
	"execution_simulate_user_feedback": {inputs: []string{"input", "ground_truth_code", "previous_code", "execution_feedback"},
		simulate: true, persona: "expert", example: exampleExecutionExpert},
	"simulate_novice_feedback": {inputs: []string{"input", "previous_code", "compilation_feedback"},
		simulate: true, persona: "novice", example: exampleNovice},
	"execution_simulate_novice_feedback": {inputs: []string{"input", "previous_code", "compilation_feedback", "execution_feedback"},
		simulate: true, persona: "novice", example: exampleExecutionNovice},
}

// instructTemplate is the single-turn prompt of BigCodeBench's own
// evaluation (ConvCodeWorld's turn 0), in our words.
const instructTemplate = "Solve the following problem with a self-contained Python program. Write the complete " +
	"program, imports included, in one ```python code block.\n\n${input}\n"

// PromptKinds lists the names prompt_template accepts, sorted.
func PromptKinds() []string {
	names := []string{"instruct"}
	for k := range promptKinds {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// PromptTemplate returns our default template for a prompt kind in the
// ccw style (see PromptTemplateStyle).
func PromptTemplate(kind string) (string, error) { return PromptTemplateStyle(kind, StyleCCW) }

// PromptTemplateStyle returns our template for a prompt kind: HCL template
// source over the variables its kind names (input, previous_code,
// compilation_feedback, execution_feedback, user_feedback,
// ground_truth_code). The structured kinds follow the layout of
// protocol.md §4.1: instructions, the format, then the filled fields,
// ending where the model starts its reasoning; the code comes back after
// "Code:", the feedback after "User Feedback:". Style StyleCCW (or "")
// always shows every field, a null value as empty text; StyleDSPy
// reproduces dspy 2.4.12's mechanics for fidelity "original" (see
// StyleDSPy). The instruct kind (turn 0, not a dspy prompt) is the same in
// both styles.
func PromptTemplateStyle(kind, style string) (string, error) {
	if style != "" && style != StyleCCW && style != StyleDSPy {
		return "", fmt.Errorf("no prompt style %q; known: %s, %s", style, StyleCCW, StyleDSPy)
	}
	if kind == "instruct" {
		return instructTemplate, nil
	}
	k, ok := promptKinds[kind]
	if !ok {
		return "", fmt.Errorf("no default prompt %q; known: %s", kind, strings.Join(PromptKinds(), ", "))
	}
	if style == StyleDSPy {
		return k.dspySpec(kind).template(), nil
	}
	return k.template(), nil
}

func (k promptKind) template() string {
	out, outName := codeOut, "generated_code"
	if k.simulate {
		out, outName = feedbackOut, "user_feedback"
		out.desc += "\n---\n\n" + k.example.ccw()
	}
	// With more than three fields the original separates field lines by a
	// blank line.
	sep := "\n"
	if len(k.inputs)+2 > 3 {
		sep = "\n\n"
	}
	var b strings.Builder
	b.WriteString(k.instructions(outName))
	b.WriteString("\n\n---\n\nFollow the following format.\n\n")
	for _, name := range k.inputs {
		f := fields[name]
		b.WriteString(f.prefix + " " + f.desc + sep)
	}
	b.WriteString(reasoningPrefix + " produce the " + outName + ". We ..." + sep)
	b.WriteString(out.prefix + " " + out.desc)
	b.WriteString("\n\n---\n\n")
	for _, name := range k.inputs {
		f := fields[name]
		// The simulated user sees code in a plain fence; the refiner
		// sees it raw (protocol.md §4.3).
		if k.simulate && strings.HasSuffix(name, "_code") {
			b.WriteString(f.prefix + " ```\n${" + name + "}\n```" + sep)
		} else {
			b.WriteString(f.prefix + " ${" + name + "}" + sep)
		}
	}
	b.WriteString(reasoningPrefix)
	return b.String()
}

const reasoningPrefix = "Reasoning: Let us reason step by step in order to"

// names renders `a`, `b` and `c`.
func names(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = "`" + s + "`"
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}

func (k promptKind) instructions(out string) string {
	switch {
	case !k.simulate && len(k.inputs) == 1:
		return "Write executable Python code that fulfils the requirements given in `input`, and return it as `" + out + "`."
	case !k.simulate:
		return "You are given " + names(k.inputs) + " because the previously generated code has a problem. " +
			"Work out what went wrong, correct it, and return the complete corrected program as `" + out + "`."
	case k.persona == "expert":
		return "Act as a user who holds a correct reference solution, `ground_truth_code`, for the task in `input`. " +
			"You are given " + names(k.inputs) + ". Compare `previous_code` with the reference: say where its " +
			"behaviour differs and how to put it right.\n\nRules:\n" +
			"- Never reveal, quote or paraphrase `ground_truth_code`.\n" +
			"- Do not write corrected code.\n" +
			"- Do not let on that you have a reference solution; give only indirect hints."
	default:
		var fb []string
		for _, in := range k.inputs {
			if strings.HasSuffix(in, "_feedback") {
				fb = append(fb, in)
			}
		}
		return "Act as a user with little programming experience. An AI assistant wrote `previous_code` for the " +
			"task in `input`, and running it gave you " + names(fb) + ". You are given " + names(k.inputs) +
			". Describe the problem the way such a user would.\n\nRules:\n" +
			"- Do not write corrected code.\n" +
			"- The code was written by the assistant, not by you.\n" +
			"- Use only what " + names(fb) + " show, nothing more."
	}
}
