package engine

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/ccw-dev/ccw/stages/builtin"
)

// frozenPipeline uses the real stage kinds that cache their results, with
// constant inputs, so that their keys can be pinned.
const frozenPipeline = `
tasks "t" {
  texts = ["def task_func():\n    return 1\n", "def task_func(:\n"]
}
sandbox "py" {
  python = "/usr/bin/python3"
}
model "m" {
  provider     = "mock"
  name         = "frozen"
  mock_default = "no"
}
experiment "e" {
  tasks = tasks.t
  stage "generate" "g" {
    model    = model.m
    template = "Write $${input}"
    vars     = { input = task.text }
  }
  stage "extract" "x" {
    text = task.text
  }
  stage "compile" "c" {
    sandbox = sandbox.py
    code    = task.text
  }
  stage "sanitize" "s" {
    sandbox = sandbox.py
    code    = task.text
  }
  stage "test_methods" "m" {
    sandbox = sandbox.py
    test    = "import unittest\nclass TestCases(unittest.TestCase):\n    def test_a(self):\n        pass\n"
  }
  stage "execute" "run" {
    sandbox = sandbox.py
    code    = task.text
    test    = "import unittest\nclass TestCases(unittest.TestCase):\n    def test_a(self):\n        pass\n"
  }
}
`

// TestFrozenKeys pins the cache keys of the real stage kinds on fixed
// inputs. If this fails, every user's cache would be invalidated by the
// change (a dependency bump that changes value encoding, a reordered key
// part, a renamed field, a new attribute, a changed harness or helper).
// Make the change deliberately: update the keys below and say so in the
// change.
func TestFrozenKeys(t *testing.T) {
	f := newFixture(t)
	set := builtin.Registry(builtin.Options{})
	set.Tasks = f.tasks // in-memory tasks: the keys must not depend on a file
	f.set = set
	plan := f.compile(t, frozenPipeline, nil)
	defer plan.Close()
	var mu sync.Mutex
	got := map[string]string{}
	f.run(t, plan, RunOptions{DryRun: true, Events: func(e Event) {
		if e.Kind == EventWouldRun {
			mu.Lock()
			got[fmt.Sprintf("%s %s", e.Addr.Stage, e.Addr.TaskID)] = e.Key
			mu.Unlock()
		}
	}})
	want := map[string]string{}
	var lines []string
	for k, v := range got {
		lines = append(lines, fmt.Sprintf("%q: %q,", k, v))
	}
	sort.Strings(lines)
	for k, v := range frozen {
		want[k] = v
	}
	if len(got) != len(want) {
		t.Errorf("%d keys, %d frozen", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: key %s, frozen %s", k, got[k], v)
		}
	}
	if t.Failed() {
		t.Logf("keys now:\n%s", strings.Join(lines, "\n"))
	}
}

var frozen = map[string]string{
	"compile.c T/0":      "sha256:c095f2f570eb51c7ed56895cd7d04051f2c9de0f47618fa70f917e39c3ac3d2e",
	"compile.c T/1":      "sha256:412208ac927d33da701873c9673134544894dc9b99d568a758f214fc6bee78e9",
	"execute.run T/0":    "sha256:ed3b397d172233f54a88520c2821393fe015cc330a8ce3cfac73013cfa8ca468",
	"execute.run T/1":    "sha256:56f06e32772641339993595f361e4937376216f51091ff31548796f51baf822b",
	"extract.x T/0":      "sha256:3c5f368eb1777735f3c249f108781744b184a6faf61e42edec90794841a54cd3",
	"extract.x T/1":      "sha256:185c7c152f15b145a65988f305f697b0e7547cf1b82bcea88dc16d0193bc0fe1",
	"generate.g T/0":     "sha256:f94c9d98db2fa0d5c9d50f622847197d248313d462439062c831a8eb30dbbde8",
	"generate.g T/1":     "sha256:9046300c09e6305661095250575647aeb015e787d91da3500a397a392b6251cc",
	"sanitize.s T/0":     "sha256:7752780384eee204a153378f0c07c2ebf0ebef79c33c4a3a467cf47a4097e516",
	"sanitize.s T/1":     "sha256:3bec99870fa6c90583bf090a7ce4cfaf56225b99468e580b5f33207188530bfa",
	"test_methods.m T/0": "sha256:50cb28477248f5e866586cb95b1ce3eb5e27cce6bc9107c8463c1259054b9021",
	"test_methods.m T/1": "sha256:50cb28477248f5e866586cb95b1ce3eb5e27cce6bc9107c8463c1259054b9021",
}

// TestFrozenEngineKeys pins the keys the engine derives for a fake kind:
// the key encoding itself (engine/cachekey), independent of any stage.
func TestFrozenEngineKeys(t *testing.T) {
	f := newFixture(t)
	plan := f.compile(t, pipeline, map[string]string{"texts": `["ok one", "bad two"]`})
	res := f.run(t, plan, RunOptions{})
	want := []string{
		"sha256:7ea0fa5b71353301c4dda21405603e4dfc6b3b1d289ad6f298546bcd368e4137",
		"sha256:6d97b67c49d4924da6e9fe43c279b75afe9f7960850a506778eac6a2b90ec249",
	}
	if len(res.Rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(res.Rows), len(want))
	}
	for i, row := range res.Rows {
		if row.ExecKey != want[i] {
			t.Errorf("task %s: key %s, frozen %s", row.TaskID, row.ExecKey, want[i])
		}
	}
}
