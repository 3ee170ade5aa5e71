// Package pystr owns the few Python str semantics that ccw must reproduce
// exactly when it re-implements the original ConvCodeWorld text handling:
// str.splitlines() (all of Python's line boundaries), str.strip() (Python's
// whitespace), len() in code points and slicing with Python's index rules
// (s[:n], s[-n:], including negative and zero n).
//
// It does not own any protocol rule; callers (execution feedback, prompt
// layout, verbal feedback) decide what to split, strip or cut.
package pystr
