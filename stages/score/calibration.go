package score

import (
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/ccw-dev/ccw/schemas"
)

// Failure is one non-passing row with the line that best says why.
type Failure struct {
	TaskID string
	Status string
	Cause  string
}

// Group is the tasks that failed for the same stated cause.
type Group struct {
	Cause   string
	TaskIDs []string
}

// Calibration summarises a run of reference solutions.
type Calibration struct {
	Total, Scored, Passed, Excluded int
	Statuses                        map[string]int
	Failures                        []Failure
	Groups                          []Group
}

// PassRate is Passed / Scored.
func (c Calibration) PassRate() float64 {
	if c.Scored == 0 {
		return 0
	}
	return float64(c.Passed) / float64(c.Scored)
}

// Calibrate summarises the rows of turn 0.
func Calibrate(rows []schemas.Turn) Calibration {
	c := Calibration{Statuses: map[string]int{}}
	groups := map[string][]string{}
	for _, r := range rows {
		if r.Turn != 0 {
			continue
		}
		c.Total++
		if r.Excluded {
			c.Excluded++
			continue
		}
		c.Scored++
		c.Statuses[r.Status]++
		if r.Passed {
			c.Passed++
			continue
		}
		f := Failure{TaskID: r.TaskID, Status: r.Status, Cause: FirstErrorLine(r)}
		c.Failures = append(c.Failures, f)
		groups[f.Cause] = append(groups[f.Cause], f.TaskID)
	}
	for cause, ids := range groups {
		c.Groups = append(c.Groups, Group{Cause: cause, TaskIDs: ids})
	}
	sort.Slice(c.Groups, func(i, j int) bool {
		if len(c.Groups[i].TaskIDs) != len(c.Groups[j].TaskIDs) {
			return len(c.Groups[i].TaskIDs) > len(c.Groups[j].TaskIDs)
		}
		return c.Groups[i].Cause < c.Groups[j].Cause
	})
	return c
}

// FirstErrorLine returns the line that states why a row did not pass: the
// exception line of the first failing test's traceback (its last non-blank
// line), the message of a module-level failure, or the limit that ended it.
func FirstErrorLine(r schemas.Turn) string {
	for _, t := range r.Tests {
		if t.Status == "pass" || t.Status == "skip" {
			continue
		}
		line := exceptionLine(t.Message)
		if t.Name == "ALL" {
			line = firstLine(t.Message)
		}
		if line == "" {
			line = t.Status
		}
		return line
	}
	switch {
	case r.Limit != "":
		return r.Status + " (" + r.Limit + " limit)"
	case r.Status == "timeout":
		return "timeout"
	}
	return r.Status
}

// exceptionLine returns the line of a Python traceback that names the
// exception ("AssertionError: 3 != 2.5"): the first unindented line after
// the frames of the last traceback. Lines a message adds after it (an
// assertEqual diff) are not it, unless the line is a bare "LookupError:"
// whose message starts on the next line (nltk, numpy's assert_equal); then
// the first line of that message is added. Text that is no traceback gives
// its last non-blank line.
func exceptionLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n "), "\n")
	found, inFrames := -1, false
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "Traceback (most recent call last)"):
			inFrames = true
		case inFrames && l != "" && !strings.HasPrefix(l, " "):
			found, inFrames = i, false
		}
	}
	if found >= 0 {
		line := plain(lines[found])
		if strings.HasSuffix(line, ":") {
			if next := firstLine(strings.Join(lines[found+1:], "\n")); next != "" {
				line += " " + next
			}
		}
		return line
	}
	for i := len(lines) - 1; i >= 0; i-- {
		if l := plain(lines[i]); wordy(l) {
			return l
		}
	}
	return ""
}

// firstLine returns the first line of s that says something: banners of
// asterisks and blank lines are skipped.
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = plain(l); wordy(l) {
			return l
		}
	}
	return ""
}

// plain drops terminal colour codes and surrounding space.
func plain(l string) string {
	return strings.TrimSpace(ansi.ReplaceAllString(l, ""))
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)

// wordy says whether l has a letter or digit in it.
func wordy(l string) bool {
	return strings.IndexFunc(l, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0
}
