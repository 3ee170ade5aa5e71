package main

import (
	"fmt"
	"strings"
)

// docStruct is BigCodeBench's doc_struct: the docstring's lines by section.
type docStruct struct {
	description, notes, params, returns, reqs, raises, examples []string
}

// sectionKeys maps a docstring heading to the doc_struct key it fills.
var sectionKeys = map[string]string{
	"Parameters:":   "params",
	"Returns:":      "returns",
	"Raises:":       "raises",
	"Requirements:": "reqs",
	"Note:":         "notes",
	"Notes:":        "notes",
	"Example:":      "examples",
	"Examples:":     "examples",
}

// parseDocstring splits docstring lines into sections. Lines are stripped;
// blank ones are dropped; in all sections but examples a leading "- " goes.
func parseDocstring(lines []string) (docStruct, error) {
	var d docStruct
	target := &d.description
	targets := map[string]*[]string{
		"params": &d.params, "returns": &d.returns, "raises": &d.raises, "reqs": &d.reqs,
		"notes": &d.notes, "examples": &d.examples,
	}
	seen := map[string]bool{}
	for _, l := range lines {
		s := strings.TrimSpace(l)
		if key, ok := sectionKeys[s]; ok {
			if seen[key] {
				return d, fmt.Errorf("docstring: section %q twice", s)
			}
			seen[key] = true
			target = targets[key]
			continue
		}
		if s == "" {
			continue
		}
		if target != &d.examples {
			s = strings.TrimPrefix(s, "- ")
		}
		*target = append(*target, s)
	}
	switch {
	case len(d.description) == 0:
		return d, fmt.Errorf("docstring: no description")
	case len(d.returns) == 0:
		return d, fmt.Errorf("docstring: no Returns: section")
	case len(d.examples) == 0:
		return d, fmt.Errorf("docstring: no Example: section")
	}
	return d, nil
}

// instruct renders BigCodeBench's instruct_prompt.
func (d docStruct) instruct(codePrompt string) string {
	var b strings.Builder
	b.WriteString(strings.Join(d.description, " "))
	if len(d.notes) > 0 {
		b.WriteString("\nNote that: " + strings.Join(d.notes, " "))
	}
	if len(d.raises) > 0 {
		b.WriteString("\nThe function should raise the exception for: " + strings.Join(d.raises, " "))
	}
	b.WriteString("\nThe function should output with:\n    " + strings.Join(d.returns, "\n    "))
	b.WriteString("\nYou should write self-contained code starting with:\n```\n" + codePrompt + "```")
	return b.String()
}

// json renders doc_struct as Python's json.dumps would.
func (d docStruct) json() string {
	parts := []struct {
		key   string
		lines []string
	}{
		{"description", d.description}, {"notes", d.notes}, {"params", d.params}, {"returns", d.returns},
		{"reqs", d.reqs}, {"raises", d.raises}, {"examples", d.examples},
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, p := range parts {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(jsonString(p.key) + ": [")
		for j, l := range p.lines {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(jsonString(l))
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
	return b.String()
}
