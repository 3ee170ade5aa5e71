package sandbox

import (
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		bad  bool
	}{
		{"4GiB", 4 << 30, false}, {"512MiB", 512 << 20, false}, {"1.5KiB", 1536, false},
		{"1GB", 1e9, false}, {"10kB", 10000, false}, {"100", 100, false}, {"100B", 100, false},
		{"unlimited", 0, false}, {"0", 0, false}, {" 2 MiB ", 2 << 20, false},
		{"", 0, true}, {"-1MiB", 0, true}, {"4gb", 0, true}, {"MiB", 0, true}, {"1e30TiB", 0, true},
	}
	for _, c := range cases {
		got, err := ParseSize(c.in)
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, bad=%v", c.in, got, err, c.want, c.bad)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for in, want := range map[int64]string{4 << 30: "4GiB", 1536: "1536B", 3 << 10: "3KiB", 0: "unlimited"} {
		if got := FormatSize(in); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestLimitsValueRoundTrip(t *testing.T) {
	l := DefaultLimits()
	l.Network = true
	l.Timeout = 1500 * time.Millisecond
	if got := LimitsFromValue(l.Value()); got != l {
		t.Fatalf("round trip: %+v, want %+v", got, l)
	}
}

// TestAlarmComesBeforeTheDeadline: as BigCodeBench, the alarm fires at the
// limit and the tree is killed one second later (121 s and 122 s for
// ConvCodeWorld's setting).
func TestAlarmComesBeforeTheDeadline(t *testing.T) {
	for _, d := range []time.Duration{121 * time.Second, 2 * time.Second, 100 * time.Millisecond} {
		l := Limits{Timeout: d}
		if a, k := l.alarm(), l.deadline(); a != d || k != d+time.Second {
			t.Errorf("timeout %s: alarm at %s, kill at %s", d, a, k)
		}
	}
}
