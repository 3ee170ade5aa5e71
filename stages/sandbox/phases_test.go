package sandbox

import (
	"context"
	"testing"
	"time"
)

func TestMarksPhases(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	for _, c := range []struct {
		name string
		m    marks
		want Phases
	}{
		{"all seen", marks{t0, at(1), at(3), at(10), at(40), at(100), at(102)},
			Phases{Dispatch: ms(1), Fork: ms(2), Start: ms(7), Imports: ms(30), Tests: ms(60), Teardown: ms(2)}},
		{"fresh: no fork", marks{start: t0, sent: at(5), module: at(50), suite: at(80), done: at(90), end: at(91)},
			Phases{Dispatch: ms(5), Start: ms(45), Imports: ms(30), Tests: ms(10), Teardown: ms(1)}},
		{"killed in the module", marks{start: t0, sent: at(5), module: at(50), end: at(121)},
			Phases{Dispatch: ms(5), Start: ms(45), Teardown: ms(71)}},
		{"nothing but the ends", marks{start: t0, end: at(7)}, Phases{Teardown: ms(7)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.m.phases(); got != c.want {
				t.Errorf("phases %+v, want %+v", got, c.want)
			}
		})
	}
}

// TestPhasesAddUp checks that a real run on each backend observes its
// phases and that they add up to its duration.
func TestPhasesAddUp(t *testing.T) {
	eachBackend(t, 20*time.Second, func(t *testing.T, s *Sandbox) {
		r, err := s.Run(context.Background(), trivialJob)
		if err != nil || r.Status != Pass {
			t.Fatalf("%v %s", err, describe(r))
		}
		p := r.Phases
		sum := p.Dispatch + p.Fork + p.Start + p.Imports + p.Tests + p.Teardown
		if sum != r.Duration || p.Start == 0 || p.Imports == 0 || p.Tests == 0 {
			t.Errorf("phases %+v add up to %s of %s", p, sum, r.Duration)
		}
		if s.Config().Workers == "warm" && s.Config().Backend == "local" && p.Fork == 0 {
			t.Errorf("a warm run saw no fork: %+v", p)
		}
	})
}
