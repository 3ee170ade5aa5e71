package llmstage

import "testing"

// feedbackCase is one answer of a simulator and what a post-processing
// must make of it.
type feedbackCase struct {
	name          string
	answer        string
	expert, guard bool
	want          string
	wantGuarded   bool
}

func checkFeedback(t *testing.T, post func(answer, field string, expert, leakGuard bool) (string, bool), tests []feedbackCase) {
	t.Helper()
	for _, tt := range tests {
		got, guarded := post(tt.answer, "User Feedback:", tt.expert, tt.guard)
		if got != tt.want || guarded != tt.wantGuarded {
			t.Errorf("%s: got %q (guarded %v), want %q (%v)", tt.name, got, guarded, tt.want, tt.wantGuarded)
		}
	}
}

func TestFeedback(t *testing.T) {
	checkFeedback(t, Feedback, []feedbackCase{
		{"field and separator", "Reasoning: x\nUser Feedback: Fix the loop.\n\n---\n\nExample Input: y", true, true, "Fix the loop.", false},
		{"double blank", "User Feedback: One.\n\n\nTwo.", false, false, "One.", false},
		{"expert: the block goes, the prose stays", "User Feedback: 1. Use a set:\n```python\ndef f(): return 1\n```\n2. Then check empty input.", true, true,
			"1. Use a set:\n2. Then check empty input.", true},
		{"expert: one blank line where a block stood between two", "User Feedback: Point 1.\n\n```python\nx = 1\n```\n\nPoint 2.", true, true,
			"Point 1.\n\nPoint 2.", true},
		{"expert: prose before a fence on its line", "User Feedback: Try ```python\nx = 1\n```\nthen run it.", true, true, "Try\nthen run it.", true},
		{"expert: an unclosed block runs to the end", "User Feedback: Like this:\n```python\ndef f():\n    return 1", true, true, "Like this:", true},
		{"expert: several blocks", "User Feedback: A\n```\nx\n```\nB\n~~~py\ny\n~~~\nC", true, true, "A\nB\nC", true},
		{"expert: blank lines and dashes inside a block do not cut", "User Feedback: A.\n```python\nx = 1\n\n\n# ---\ny = 2\n```\nB.", true, true, "A.\nB.", true},
		{"expert: inline triple backticks are not a block", "User Feedback: Call it as ```f(x)``` instead.", true, true, "Call it as ```f(x)``` instead.", false},
		{"guard off keeps code", "User Feedback: Use this:\n```python\nx\n```", true, false, "Use this:\n```python\nx\n```", false},
		{"novice keeps quoted errors, dashes in them included", "User Feedback: I got:\n```\n------\nIndentationError\n```\nHelp?", false, true,
			"I got:\n```\n------\nIndentationError\n```\nHelp?", false},
		{"dashes inside prose do not cut", "User Feedback: The loop---the inner one---is wrong.", true, true, "The loop---the inner one---is wrong.", false},
		{"a separator line cuts", "User Feedback: Wrong sort order.\n---\nExample Input: y", false, true, "Wrong sort order.", false},
		{"no field", "Just do it differently.", true, true, "Just do it differently.", false},
	})
}

// TestFeedbackOriginal: pot.py's cuts on dspy's field value.
func TestFeedbackOriginal(t *testing.T) {
	checkFeedback(t, FeedbackOriginal, []feedbackCase{
		{"expert: the first block and all after it go", "User Feedback: Fix it.\n```python\ncode\n```\nMore advice.", true, true, "Fix it.", true},
		{"expert: triple backticks not at a line start stay", "User Feedback: Call ```f(x)``` instead.", true, true, "Call ```f(x)``` instead.", false},
		{"dashes anywhere cut", "User Feedback: The loop---the inner one---is wrong.", false, true, "The loop", false},
		{"nothing is stripped after the cuts", "User Feedback: A. \n---\nB", false, true, "A. \n", false},
		{"double blank", "User Feedback: One.\n\n\nTwo.", true, true, "One.", false},
		{"dspy strips the value and its trailing dashes", "User Feedback:   Fine.\n--  \n", false, true, "Fine.", false},
		{"truncation before the fence: the cut leaves part of a block", "User Feedback: A.\n\n\n```python\nx\n```", true, true, "A.", false},
		{"novice keeps code", "User Feedback: I got:\n```\nIndentationError\n```", false, true, "I got:\n```\nIndentationError\n```", false},
		{"guard off", "User Feedback: Use:\n```\nx\n```", true, false, "Use:\n```\nx\n```", false},
	})
}
