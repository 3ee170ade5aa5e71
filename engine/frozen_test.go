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
	"compile.c T/0":      "sha256:1bc8d9f679e45a20346403a6059296bb549b1ab28b724c0686b13a17592a8b14",
	"compile.c T/1":      "sha256:15c96760c264b04f04184e09d9899b1fc1fefcedd732e7212556c13b89abe05e",
	"execute.run T/0":    "sha256:667189862296dde534e47191e7b6c0eff447d5d3dc92e8ab39b6415ebe9025e0",
	"execute.run T/1":    "sha256:2047702a06c7594c99fb13791d6451c9a006e0a53c10745b4d277cb7397ef1b4",
	"extract.x T/0":      "sha256:3c5f368eb1777735f3c249f108781744b184a6faf61e42edec90794841a54cd3",
	"extract.x T/1":      "sha256:185c7c152f15b145a65988f305f697b0e7547cf1b82bcea88dc16d0193bc0fe1",
	"generate.g T/0":     "sha256:f94c9d98db2fa0d5c9d50f622847197d248313d462439062c831a8eb30dbbde8",
	"generate.g T/1":     "sha256:9046300c09e6305661095250575647aeb015e787d91da3500a397a392b6251cc",
	"sanitize.s T/0":     "sha256:86256e98273ea71c1229c10a102f631ff00ca059703e55ce103d2ada5ff18c09",
	"sanitize.s T/1":     "sha256:8278c58514b05b4b6917e140289fa09484d091ba23008d03a09ce27426de4365",
	"test_methods.m T/0": "sha256:4db3d00209b9433aa86faa1ffe51a7d6c9185160349993c31f0eea52bfae2bc7",
	"test_methods.m T/1": "sha256:4db3d00209b9433aa86faa1ffe51a7d6c9185160349993c31f0eea52bfae2bc7",
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
