// The quickstart protocol run as three shards in three processes that meet
// in one cache — a bucket on a real S3-compatible server on loopback, or
// one local directory — compared with a single-process run.
package examples_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ccw-dev/ccw/internal/resultstest"
	"github.com/ccw-dev/ccw/internal/s3test"
	"github.com/ccw-dev/ccw/schemas"
)

func TestShardsMeetInOneCache(t *testing.T) {
	needPython(t)
	if testing.Short() {
		t.Skip("runs the quickstart protocol seven times")
	}
	dir := t.TempDir()
	single := filepath.Join(dir, "single")
	ccw(t, nil, 0, "run", "quickstart.hcl", "--cache", filepath.Join(dir, "single-cache"), "--out", single)

	t.Run("bucket", func(t *testing.T) {
		s := s3test.Start(t)
		work := t.TempDir()
		loc := s.URL("lab/ccw")
		args := func(i int, attempt string) []string {
			// Every process has its own read-through copy, as on its own machine.
			return []string{"--cache", loc, "--cache-local", filepath.Join(work, fmt.Sprintf("local-%d-%s", i, attempt))}
		}
		shardRuns(t, work, single, s.Env(), args, filepath.Join(s.Dir, s.Bucket, "lab", "ccw", "ac.v1"))
		// Nothing secret reached an output or a log.
		assertNoSecret(t, work, s.Secret)
	})
	t.Run("directory", func(t *testing.T) {
		work := t.TempDir()
		shared := filepath.Join(work, "shared-cache")
		args := func(int, string) []string { return []string{"--cache", shared} }
		shardRuns(t, work, single, nil, args, filepath.Join(shared, "ac.v1"))
	})
}

// shardRuns runs shards 0 and 2 while shard 1 is killed with SIGKILL in
// the middle of its work and started again; merges; compares with the
// single run; and runs every shard again, which must execute nothing.
// entries is where the shared cache's action entries appear.
func shardRuns(t *testing.T, work, single string, env []string, cacheArgs func(shard int, attempt string) []string, entries string) {
	shardDir := func(i int) string { return filepath.Join(work, "shards", fmt.Sprintf("shard-%d-of-3", i)) }
	run := func(i int, attempt string) *exec.Cmd {
		args := append([]string{"run", "quickstart.hcl", "--shard", fmt.Sprintf("%d/3", i), "--out", shardDir(i)}, cacheArgs(i, attempt)...)
		cmd := exec.Command(ccwBin, args...)
		cmd.Env = append(os.Environ(), env...)
		logf, err := os.Create(filepath.Join(work, fmt.Sprintf("shard-%d-%s.log", i, attempt)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { logf.Close() })
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	wait := func(cmd *exec.Cmd, i int, attempt string) {
		if err := cmd.Wait(); err != nil {
			b, _ := os.ReadFile(filepath.Join(work, fmt.Sprintf("shard-%d-%s.log", i, attempt)))
			t.Fatalf("shard %d (%s): %v\n%s", i, attempt, err, tail(string(b), 15))
		}
	}

	victim := run(1, "first")
	others := []*exec.Cmd{run(0, "first"), run(2, "first")}
	// Kill shard 1 once the shared cache holds some of the shards' work.
	if n := waitEntries(entries, 40, 2*time.Minute); n < 40 {
		t.Fatalf("only %d cache entries appeared", n)
	}
	_ = victim.Process.Signal(syscall.SIGKILL)
	if err := victim.Wait(); err == nil {
		t.Fatal("shard 1 finished before it was killed; the test proves nothing")
	}
	if _, err := os.Stat(filepath.Join(shardDir(1), "turns.parquet")); err == nil {
		t.Fatal("the killed shard wrote results")
	}
	restarted := run(1, "restart")
	wait(others[0], 0, "first")
	wait(others[1], 2, "first")
	wait(restarted, 1, "restart")

	merged := filepath.Join(work, "merged")
	ccw(t, nil, 0, "merge", filepath.Join(work, "shards"), "--out", merged)
	resultstest.SameTables(t, single, merged)
	if a, b := ccw(t, nil, 0, "report", single), ccw(t, nil, 0, "report", filepath.Join(work, "shards")); a != b {
		t.Errorf("ccw report of the shards differs from the single run's:\n%s\n---\n%s", b, a)
	}

	// Again, with fresh local copies: every result comes from the shared cache.
	var again []*exec.Cmd
	for i := range 3 {
		again = append(again, run(i, "again"))
	}
	for i, cmd := range again {
		wait(cmd, i, "again")
		r, err := schemas.ReadRun(shardDir(i))
		if err != nil {
			t.Fatal(err)
		}
		if r.Summary.Ran != 0 || r.Summary.Cached == 0 || !r.Summary.Complete {
			t.Errorf("rerun of shard %d: %+v, want all cached", i, r.Summary)
		}
	}
	ccw(t, nil, 0, "merge", filepath.Join(work, "shards"), "--out", merged)
	resultstest.SameTables(t, single, merged)
}

// waitEntries polls dir until it holds at least n files (or limit passes)
// and returns how many it found.
func waitEntries(dir string, n int, limit time.Duration) int {
	found := 0
	for start := time.Now(); time.Since(start) < limit; time.Sleep(20 * time.Millisecond) {
		files, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
		if found = len(files); found >= n {
			break
		}
	}
	return found
}

// assertNoSecret fails when a file under dir contains secret.
func assertNoSecret(t *testing.T, dir, secret string) {
	t.Helper()
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(b), secret) {
			t.Errorf("%s contains the bucket's secret key", p)
		}
		return nil
	})
}
