package sandbox

import (
	"strings"
	"testing"
)

func TestCollector(t *testing.T) {
	n := "abc"
	cases := []struct {
		name  string
		input string
		end   ending
		want  string
		st    Status
	}{
		{name: "finished", input: n + ` {"t":"start","name":"test_a"}` + "\n" + n + ` {"t":"test","name":"test_a","status":"pass","message":""}` + "\n" + n + ` {"t":"done"}` + "\n",
			want: "test_a:pass", st: Pass},
		{name: "killed while a test ran", input: n + ` {"t":"phase","p":"suite"}` + "\n" + n + ` {"t":"start","name":"test_a"}` + "\n",
			end: ending{Status: Timeout, Limit: "wall"}, want: "test_a:timeout", st: Timeout},
		{name: "killed in the module", input: n + ` {"t":"phase","p":"module"}` + "\n",
			end: ending{Status: Killed, Limit: "pids"}, want: "ALL:error", st: Killed},
		{name: "forged and broken lines", input: `xyz {"t":"done"}` + "\n" + n + " {not json\n" + n + ` {"t":"all","message":"boom"}` + "\n" + n + ` {"t":"done"}` + "\n" + n + ` {"t":"test","name":"late","status":"fail"}` + "\n",
			want: "ALL:fail", st: Fail},
		{name: "overlong line", input: n + ` {"t":"test","name":"` + strings.Repeat("x", maxFrame) + `","status":"pass"}` + "\n" + n + ` {"t":"done"}` + "\n",
			want: "", st: Pass},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			col := newCollector(n)
			col.read(strings.NewReader(c.input))
			r := col.result(c.end)
			if tests(r) != c.want || r.Status != c.st {
				t.Fatalf("got %s [%s], want %s [%s]", r.Status, tests(r), c.st, c.want)
			}
		})
	}
}

func TestCapture(t *testing.T) {
	var fired int
	c := &capture{max: 10, kill: 25, over: func() { fired++ }}
	c.add([]byte("0123456"))
	c.add([]byte("789abcdef"))
	if got := c.text(); !strings.HasPrefix(got, "0123456789\n[ccw: output cut at 10B; 6 more bytes were written]") {
		t.Fatalf("text = %q", got)
	}
	c.add([]byte(strings.Repeat("z", 20)))
	c.add([]byte("z"))
	if fired != 1 {
		t.Fatalf("over fired %d times, want once", fired)
	}
	// A cut inside a rune drops the partial rune.
	u := &capture{max: 2}
	u.add([]byte("é!"))
	if got := u.text(); !strings.HasPrefix(got, "é\n") {
		t.Fatalf("text = %q", got)
	}
	u2 := &capture{max: 1}
	u2.add([]byte("é"))
	if got := u2.text(); !strings.HasPrefix(got, "\n[ccw") {
		t.Fatalf("text = %q", got)
	}
}
