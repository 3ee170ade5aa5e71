package score

import (
	"strings"
	"testing"

	"github.com/ccw-dev/ccw/schemas"
)

func TestFirstErrorLine(t *testing.T) {
	tb := func(tail string) string {
		return "Traceback (most recent call last):\n  File \"__test__.py\", line 40, in test_upper\n    self.assertEqual(task_func(\"ABC\", 3), \"DEF\")\n" + tail
	}
	cases := []struct {
		name string
		row  schemas.Turn
		want string
	}{
		{"assertion with a diff", schemas.Turn{Status: "fail", Tests: []schemas.Test{{Name: "test_a", Status: "pass"},
			{Name: "test_upper", Status: "fail", Message: tb("AssertionError: 'Khoor' != 'KHOOR'\n- Khoor\n+ KHOOR\n?  ^^^^\n")}}},
			"AssertionError: 'Khoor' != 'KHOOR'"},
		{"chained", schemas.Turn{Status: "fail", Tests: []schemas.Test{{Name: "test_x", Status: "error",
			Message: tb("KeyError: 'a'\n\nDuring handling of the above exception, another exception occurred:\n\n") + tb("ValueError: bad\n")}}},
			"ValueError: bad"},
		{"module level", schemas.Turn{Status: "fail", Tests: []schemas.Test{{Name: "ALL", Status: "error", Message: "No module named 'wikipedia'"}}},
			"No module named 'wikipedia'"},
		{"timeout without tests", schemas.Turn{Status: "timeout", Limit: "wall"}, "timeout (wall limit)"},
		{"plain message", schemas.Turn{Status: "fail", Tests: []schemas.Test{{Name: "t", Status: "fail", Message: "boom\n"}}}, "boom"},
		{"bare exception line takes the message's first line", schemas.Turn{Status: "fail", Tests: []schemas.Test{{Name: "test_x", Status: "error",
			Message: tb("LookupError: \n" + nltkBanner("punkt"))}}},
			"LookupError: Resource punkt not found."},
		{"module level banner is skipped", schemas.Turn{Status: "fail", Tests: []schemas.Test{{Name: "ALL", Status: "error", Message: "\n" + nltkBanner("stopwords")}}},
			"Resource stopwords not found."},
		{"numpy's assertion message", schemas.Turn{Status: "fail", Tests: []schemas.Test{{Name: "test_y", Status: "fail",
			Message: tb("AssertionError: \nArrays are not equal\n\nMismatched elements: 1 / 3 (33.3%)\n")}}},
			"AssertionError: Arrays are not equal"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := FirstErrorLine(c.row); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// nltkBanner is how nltk says a data package is missing, colours and all.
func nltkBanner(name string) string {
	stars := strings.Repeat("*", 70)
	return stars + "\n  Resource \x1b[93m" + name + "\x1b[0m not found.\n  Please use the NLTK Downloader to obtain the resource:\n\n" + stars + "\n"
}

func TestCalibrate(t *testing.T) {
	rows := []schemas.Turn{
		{TaskID: "A", Status: "pass", Passed: true},
		{TaskID: "B", Status: "fail", Tests: []schemas.Test{{Name: "ALL", Status: "error", Message: "No module named 'x'"}}},
		{TaskID: "C", Status: "fail", Tests: []schemas.Test{{Name: "ALL", Status: "error", Message: "No module named 'x'"}}},
		{TaskID: "D", Status: "fail", Excluded: true},
		{TaskID: "E", Status: "pass", Passed: true, Turn: 1},
	}
	c := Calibrate(rows)
	if c.Total != 4 || c.Scored != 3 || c.Passed != 1 || c.Excluded != 1 || len(c.Failures) != 2 {
		t.Fatalf("%+v", c)
	}
	if len(c.Groups) != 1 || len(c.Groups[0].TaskIDs) != 2 {
		t.Fatalf("groups %+v", c.Groups)
	}
	if r := c.PassRate(); r < 0.333 || r > 0.334 {
		t.Fatalf("pass rate %v", r)
	}
}
