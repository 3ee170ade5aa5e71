package sandbox

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestLending checks that with one slot and one run to lend, a run that
// sleeps lets the next run start and finish first, and a run that keeps
// the CPU busy does not, on both local modes.
func TestLending(t *testing.T) {
	if iso := detectIsolation(); iso.cg == nil || iso.cg.version == 2 && iso.cg.base[""] == "" || iso.cg.version == 1 && iso.cg.base["cpuacct"] == "" {
		// Not a prerequisite CI can install: lending is off where no
		// cgroup counts CPU time, and runs hold their slots.
		t.Skip("no cgroup here counts a run's CPU time")
	}
	sleeper := Job{Code: "import time\n", Test: suiteHead + "    def test_wait(self): time.sleep(4)\n"}
	busy := Job{Code: "import time\n", Test: suiteHead + "    def test_spin(self):\n        end = time.monotonic() + 4\n        while time.monotonic() < end: pass\n"}
	for _, workers := range []string{"fresh", "warm"} {
		for _, c := range []struct {
			name       string
			first      Job
			secondWins bool
		}{{"sleeping run lends", sleeper, true}, {"busy run keeps", busy, false}} {
			t.Run(workers+"/"+c.name, func(t *testing.T) {
				s := testSandbox(t, 20*time.Second, func(cfg *Config) {
					// A small preload: a second warm worker starts in well under the sleep.
					cfg.Workers, cfg.Slots, cfg.Lend, cfg.Preload = workers, 1, 1, []string{"json"}
				})
				output(t, s, trivialJob) // starts the warm worker outside the race
				order := make(chan string, 2)
				go func() {
					if _, err := s.Run(context.Background(), c.first); err != nil {
						t.Error(err)
					}
					order <- "first"
				}()
				for len(s.slots) == 0 { // until the first run holds the slot
					time.Sleep(10 * time.Millisecond)
				}
				go func() {
					if _, err := s.Run(context.Background(), trivialJob); err != nil {
						t.Error(err)
					}
					order <- "second"
				}()
				if got := <-order; (got == "second") != c.secondWins {
					t.Errorf("the %s run ended first", got)
				}
				<-order
			})
		}
	}
}

func TestMemAvailable(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, text string
		want       int64
	}{
		{"kB", "MemTotal:       24576000 kB\nMemFree:  100 kB\nMemAvailable:   20000000 kB\n", 20000000 << 10},
		{"missing", "MemTotal: 1 kB\n", 0},
		{"garbage", "MemAvailable: lots kB\n", 0},
	} {
		path := filepath.Join(dir, c.name)
		os.WriteFile(path, []byte(c.text), 0o644)
		if got := memAvailable(path); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	if memAvailable(filepath.Join(dir, "none")) != 0 || memAvailable("/proc/meminfo") <= 0 {
		t.Error("a missing file must read 0 and /proc/meminfo more")
	}
}
