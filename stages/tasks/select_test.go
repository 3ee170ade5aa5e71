package tasks

import (
	"bufio"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// bcbLike writes a file of 1140 small tasks with BigCodeBench's ids, in a
// shuffled order, and returns its path.
func bcbLike(t *testing.T) string {
	t.Helper()
	tasks := makeTasks("BigCodeBench", 1140)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(tasks), func(i, j int) { tasks[i], tasks[j] = tasks[j], tasks[i] })
	return writeFile(t, t.TempDir(), "bcb.jsonl", jsonlBytes(t, tasks))
}

func ids(ts []Task) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

func TestLoadSelection(t *testing.T) {
	path := bcbLike(t)
	hard := HardIDs()
	cases := []struct {
		name   string
		cfg    Config
		want   []string // nil: check only the count
		count  int
		errSub string
	}{
		{name: "all, in dataset order", cfg: Config{}, count: 1140},
		{name: "limit", cfg: Config{Limit: 3}, want: []string{"BigCodeBench/0", "BigCodeBench/1", "BigCodeBench/2"}},
		{name: "limit above size", cfg: Config{Limit: 5000}, count: 1140},
		{name: "ids in dataset order", cfg: Config{IDs: []string{"BigCodeBench/100", "BigCodeBench/7", "BigCodeBench/13"}},
			want: []string{"BigCodeBench/7", "BigCodeBench/13", "BigCodeBench/100"}},
		{name: "ids then limit", cfg: Config{IDs: []string{"BigCodeBench/100", "BigCodeBench/7", "BigCodeBench/13"}, Limit: 2},
			want: []string{"BigCodeBench/7", "BigCodeBench/13"}},
		{name: "hard", cfg: Config{Subset: "hard"}, want: hard},
		{name: "hard then limit", cfg: Config{Subset: "hard", Limit: 4}, want: hard[:4]},
		{name: "hard and ids", cfg: Config{Subset: "hard", IDs: []string{"BigCodeBench/1137", "BigCodeBench/13"}},
			want: []string{"BigCodeBench/13", "BigCodeBench/1137"}},
		{name: "unknown ids", cfg: Config{IDs: []string{"BigCodeBench/5", "BigCodeBench/1140", "HumanEval/0"}},
			errSub: `ids not in the task set: "BigCodeBench/1140", "HumanEval/0"`},
		{name: "ids outside the subset", cfg: Config{Subset: "hard", IDs: []string{"BigCodeBench/13", "BigCodeBench/0"}},
			errSub: `ids not in subset "hard": "BigCodeBench/0"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.Source, c.cfg.Path = "file", path
			set, err := Load(context.Background(), c.cfg)
			if c.errSub != "" {
				if err == nil || !strings.Contains(err.Error(), c.errSub) || !strings.Contains(err.Error(), path) {
					t.Fatalf("error = %v; want one naming %s and containing %q", err, path, c.errSub)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := ids(set.Tasks)
			if c.want != nil && !slices.Equal(got, c.want) {
				t.Fatalf("selected %q, want %q", got, c.want)
			}
			if c.want == nil && len(got) != c.count {
				t.Fatalf("selected %d, want %d", len(got), c.count)
			}
			if !slices.IsSortedFunc(got, compareIDs) {
				t.Fatalf("not in dataset order: %q", got[:min(len(got), 20)])
			}
			if set.Total != 1140 || set.Origin != path || set.Source != "file" || set.Limit != c.cfg.Limit {
				t.Fatalf("set = total %d origin %q source %q limit %d", set.Total, set.Origin, set.Source, set.Limit)
			}
		})
	}
}

func TestLoadHardNeedsAllHardIDs(t *testing.T) {
	path := writeFile(t, t.TempDir(), "mini.jsonl", jsonlBytes(t, makeTasks("CCWMini", 5)))
	_, err := Load(context.Background(), Config{Path: path, Subset: "hard"})
	if err == nil || !strings.Contains(err.Error(), `148 of the 148 BigCodeBench-Hard ids are not in the task set: "BigCodeBench/13"`) {
		t.Fatalf("error = %v", err)
	}
}

func TestLoadFileDigest(t *testing.T) {
	tasks := makeTasks("X", 4)
	path := writeFile(t, t.TempDir(), "x.jsonl", jsonlBytes(t, tasks))
	digest := CanonicalDigest(tasks)

	set, err := Load(context.Background(), Config{Path: path, Split: "mine"})
	if err != nil || set.Digest != digest || set.Split != "mine" {
		t.Fatalf("Load = %+v, %v", set, err)
	}
	if _, err := Load(context.Background(), Config{Path: path, Digest: digest}); err != nil {
		t.Fatalf("matching digest: %v", err)
	}
	other := "sha256:" + strings.Repeat("0", 64)
	_, err = Load(context.Background(), Config{Path: path, Digest: other})
	var mismatch *DigestMismatchError
	if !asMismatch(err, &mismatch) || mismatch.Actual != digest || mismatch.Expected != other || mismatch.Pinned {
		t.Fatalf("error = %v; want a mismatch", err)
	}
	// A local copy claimed to be a BigCodeBench split is checked against the pin.
	_, err = Load(context.Background(), Config{Source: "bigcodebench", Path: path})
	if !asMismatch(err, &mismatch) || !mismatch.Pinned || !strings.Contains(err.Error(), `pinned digest of split "v0.1.0_hf"`) ||
		!strings.Contains(err.Error(), `set digest = "`+digest+`"`) {
		t.Fatalf("error = %v; want a mismatch with the pin", err)
	}
}

func TestHardIDsMatchSharedList(t *testing.T) {
	f, err := os.Open(filepath.Join(sharedData(t), "bigcodebench", "hard-task-ids.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var want []string
	for sc := bufio.NewScanner(f); sc.Scan(); {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			want = append(want, line)
		}
	}
	if got := HardIDs(); !slices.Equal(got, want) {
		t.Fatalf("HardIDs differ from hard-task-ids.txt: %d vs %d ids", len(got), len(want))
	}
	if len(want) != 148 {
		t.Fatalf("%d hard ids, want 148", len(want))
	}
}

func TestLoadSharedSplitFromPath(t *testing.T) {
	path := sharedSplit(t, "BigCodeBench-v0.1.0_hf.jsonl.gz")
	set, err := Load(context.Background(), Config{Source: "bigcodebench", Path: path, Subset: "hard", Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"BigCodeBench/13", "BigCodeBench/15", "BigCodeBench/17"}
	if got := ids(set.Tasks); !slices.Equal(got, want) || set.Total != 1140 || set.Digest != pins["v0.1.0_hf"] {
		t.Fatalf("got %q total %d digest %s", got, set.Total, set.Digest)
	}
	if !strings.HasPrefix(set.Tasks[0].Fields["complete_prompt"], "import ") || set.Tasks[0].Fields["entry_point"] != "task_func" {
		t.Fatalf("unexpected record: %q", set.Tasks[0].Fields["complete_prompt"][:40])
	}
}
