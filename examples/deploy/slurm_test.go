package deploy_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ccw-dev/ccw/internal/resultstest"
	"github.com/ccw-dev/ccw/internal/testenv"
)

// needSlurm skips (fails where CI=true) without a cluster whose node is up.
func needSlurm(t *testing.T) {
	t.Helper()
	out, err := exec.Command("sinfo", "-h", "-o", "%T").Output()
	if err != nil || !regexp.MustCompile(`idle|mix|alloc`).Match(out) {
		testenv.Missing(t, "no Slurm cluster with an idle node (bash .ci/slurm.sh sets one up): %v %s", err, out)
	}
}

// TestSlurmJobArray submits the example script as a three-task job array
// on the machine's one-node cluster, merges the shards and compares the
// tables with a single run of the same experiment.
func TestSlurmJobArray(t *testing.T) {
	testenv.NeedPython(t)
	needSlurm(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "ccw")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, "../../cmd/ccw")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building ccw: %v\n%s", err, out)
	}
	file, err := filepath.Abs("../quickstart.hcl")
	if err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs("slurm/ccw-shards.sbatch")
	if err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CCW_BIN="+bin, "CCW_FILE="+file, "CCW_CACHE="+filepath.Join(dir, "shared-cache"),
			"CCW_RESULTS="+filepath.Join(dir, "results"))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
			for _, l := range logs {
				b, _ := os.ReadFile(l)
				out.WriteString("\n--- " + filepath.Base(l) + "\n" + string(b))
			}
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
		return out.String()
	}

	single := filepath.Join(dir, "single")
	run(bin, "run", file, "--cache", filepath.Join(dir, "single-cache"), "--out", single)
	// --wait returns when every task of the array has ended, non-zero if
	// any failed; one CPU per task lets the three run at once. The array
	// has a step (10, 12, 14): its tasks are shards 0, 1 and 2.
	out := run("sbatch", "--wait", "--array=10-14:2", "--cpus-per-task=1", "--output="+filepath.Join(dir, "shard-%a.log"), script)
	t.Logf("sbatch: %s", strings.TrimSpace(out))
	for _, i := range []string{"0", "1", "2"} {
		if _, err := os.Stat(filepath.Join(dir, "results", "shard-"+i+"-of-3", "run.json")); err != nil {
			t.Fatalf("array task %s left no results: %v", i, err)
		}
	}
	merged := filepath.Join(dir, "merged")
	run(bin, "merge", filepath.Join(dir, "results"), "--out", merged)
	resultstest.SameTables(t, single, merged)
}
