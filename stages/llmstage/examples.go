package llmstage

import "strings"

// The few-shot examples of the simulate prompts: our own toy task, in the
// shape of the original's (protocol.md §4.4). Unlike the original, the
// novice example holds no ground truth and the expert example does not
// name the reference solution's idiom. Each example is a list of fields;
// the ccw layout writes a value after its prefix, the dspy layout on the
// next line with blank lines between fields, as the original's examples
// are written.

// exampleField is one field of a few-shot example.
type exampleField struct{ prefix, value string }

// example is a few-shot example, field by field.
type example []exampleField

// ccw lays the example out one field after the other, each value after
// its prefix.
func (e example) ccw() string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = f.prefix + " " + f.value
	}
	return strings.Join(parts, "\n")
}

// dspy lays the example out as the original's examples are written: a
// leading newline, each value on the line after its prefix, a blank line
// between fields.
func (e example) dspy() string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = f.prefix + "\n" + strings.TrimRight(f.value, "\n")
	}
	return "\n" + strings.Join(parts, "\n\n")
}

var exampleTask = exampleField{"Example Input:", "Count how many vowels (a, e, i, o, u) a string contains, treating upper-case " +
	"and lower-case letters alike.\n" +
	"The function should output with:\n    int: the number of vowels in text.\n" +
	"You should write self-contained code starting with:\n```\ndef count_vowels(text):\n```"}

var exampleTruth = exampleField{"Ground Truth Code:", "```\n" +
	"def count_vowels(text):\n    return sum(1 for ch in text.lower() if ch in \"aeiou\")\n```"}

// examplePrevious ignores upper-case vowels and prints on import.
var examplePrevious = exampleField{"Previous Code:", "```\n" +
	"def count_vowels(text):\n    count = 0\n    for ch in text:\n        if ch in \"aeiou\":\n" +
	"            count += 1\n    return count\n\nprint(count_vowels(\"Apple\"))\n```"}

// examplePreviousIndent has a return statement out of line.
var examplePreviousIndent = exampleField{"Previous Code:", "```\n" +
	"def count_vowels(text):\n    count = 0\n    for ch in text.lower():\n        if ch in \"aeiou\":\n" +
	"            count += 1\n      return count\n```"}

var exampleCompileError = exampleField{"Compilation Feedback:", "Traceback (most recent call last):\n" +
	"  File \"compile.py\", line 4, in <module>\n    compile(code, \"tmp.py\", \"exec\")\n" +
	"  File \"tmp.py\", line 6\n    return count\n                ^\n" +
	"IndentationError: unindent does not match any outer indentation level"}

var exampleNoSyntaxErrors = exampleField{"Compilation Feedback:", "No syntax errors"}

var exampleExecError = exampleField{"Execution Feedback:", "TEST_CASE_2\nTraceback (most recent call last):\n" +
	"  File \"__test__.py\", line 12, in test_case_2\n" +
	"    self.assertEqual(count_vowels(\"AEIOU\"), 5)\nAssertionError: 0 != 5\n"}

// exampleReasoning is the reasoning field of an example: our reasoning
// prefix, split into the field's prefix and the start of its value.
func exampleReasoning(rest string) exampleField {
	prefix, start, _ := strings.Cut(reasoningPrefix, " ")
	return exampleField{prefix, start + " " + rest}
}

var exampleExpertReasoning = exampleReasoning("produce the user_feedback. We compare the previous code " +
	"with the reference, looking at its behaviour on upper-case letters, edge cases, side effects and clarity.")

var exampleExpertFeedback = exampleField{"User Feedback:", "1. **Upper-case letters**: Only lower-case vowels are counted, so " +
	"\"Apple\" gives 1 instead of 2 and \"AEIOU\" gives 0. The check has to ignore the case of each character.\n" +
	"2. **Output on import**: The `print` call at the end runs whenever the module is loaded. Remove it and check " +
	"the function with assertions instead.\n" +
	"3. **Edge cases**: An empty string should give 0, and characters that are not letters should be ignored; " +
	"keep it that way after the fix.\n" +
	"Overall, the structure is sound: correcting the case handling is what makes the results right."}

var exampleExpert = example{exampleTask, exampleTruth, examplePrevious, exampleExpertReasoning, exampleExpertFeedback}

var exampleExecutionExpert = example{exampleTask, exampleTruth, examplePrevious, exampleExecError,
	exampleExpertReasoning, exampleExpertFeedback}

var exampleNovice = example{exampleTask, examplePreviousIndent, exampleCompileError,
	exampleReasoning("produce the novice-level user_feedback. We use only what the error message shows."),
	{"User Feedback:", "I got this error when I tried to run the code:\n```\n" +
		"IndentationError: unindent does not match any outer indentation level\n```\n" +
		"It points at the line `return count`. Maybe that line is not lined up with the lines above it?"}}

var exampleExecutionNovice = example{exampleTask, examplePrevious, exampleNoSyntaxErrors, exampleExecError,
	exampleReasoning("produce the novice-level user_feedback. We use only what the test output shows."),
	{"User Feedback:", "One of the tests fails with `AssertionError: 0 != 5` for \"AEIOU\": the function finds no " +
		"vowels when the letters are capitals. Could it be that only small letters are counted?"}}
