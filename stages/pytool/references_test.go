package pytool

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/ccw-dev/ccw/internal/testenv"
	"github.com/ccw-dev/ccw/stages/sandbox/sandboxtest"
)

// parallel runs f(i) for i in [0, n) on a few goroutines.
func parallel(n, workers int, f func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

// readTable reads a testdata file of "key\tvalue" lines ('#' lines are
// comments).
func readTable(t *testing.T, name string) map[string]string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, "\t")
		out[k] = v
	}
	return out
}

// TestSanitizeReferences sanitizes the reference program of each of the
// 1140 BigCodeBench tasks (complete_prompt + canonical_solution). The
// default layout must give it back byte for byte, or without only
// statements that are no definition (nltk.download(...), a try/except
// import) or definitions nothing kept uses (testdata/semantic.py judges,
// on ast dumps). The fidelity layout must give exactly what the original
// tree-sitter sanitizer gives (testdata/references_fidelity.sha256 was
// computed with it, not with this package).
func TestSanitizeReferences(t *testing.T) {
	testenv.SharedData(t)
	tasks := sandboxtest.LoadTasks(t)
	if len(tasks) != 1140 {
		t.Fatalf("%d tasks, want 1140", len(tasks))
	}
	p := localPool(t, Options{})
	want := readTable(t, "references_fidelity.sha256")
	def := make([]SanitizeResult, len(tasks))
	var mu sync.Mutex
	parallel(len(tasks), 2, func(i int) {
		task := tasks[i]
		d, err := p.Sanitize(t.Context(), SanitizeRequest{Code: task.Reference(), EntryPoint: "task_func"})
		f, ferr := p.Sanitize(t.Context(), SanitizeRequest{Code: task.Reference(), EntryPoint: "task_func", Fidelity: true})
		mu.Lock()
		defer mu.Unlock()
		if err != nil || ferr != nil {
			t.Errorf("%s: %v %v", task.ID, err, ferr)
			return
		}
		def[i] = d
		if !d.Found || d.Limit != "" {
			t.Errorf("%s: default: found=%v limit=%q", task.ID, d.Found, d.Limit)
		}
		sum := sha256.Sum256([]byte(f.Code))
		if got := hex.EncodeToString(sum[:])[:16]; got != want[task.ID] {
			t.Errorf("%s: fidelity output differs from the original's (digest %s, want %s):\n%s", task.ID, got, want[task.ID], f.Code)
		}
	})
	var in bytes.Buffer
	for i, task := range tasks {
		json.NewEncoder(&in).Encode(map[string]string{"id": task.ID, "reference": task.Reference(), "sanitized": def[i].Code})
	}
	cmd := exec.Command(testenv.Python, "-I", "testdata/semantic.py")
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("semantic.py: %v", err)
	}
	counts := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var v struct{ ID, Verdict string }
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		counts[v.Verdict]++
		if v.Verdict != "equal" && v.Verdict != "semantic" {
			t.Errorf("%s: %s", v.ID, v.Verdict)
		}
	}
	t.Logf("default layout: %d byte-equal, %d semantically equal", counts["equal"], counts["semantic"])
	// 41 references hold statements the sanitizer drops by design:
	// nltk.download(...), logging.basicConfig(...), unused constants.
	if counts["equal"] != 1099 || counts["semantic"] != 41 {
		t.Errorf("counts %v, want 1099 equal and 41 semantic", counts)
	}
}

// TestTestMethodsAll lists the test methods of all 1140 tasks: the first
// three must be those of the original extract_methods.py
// (testdata/test_methods_first3.tsv was made by running it), and the
// counts protocol.md §2.2 step 5 quotes must come out.
func TestTestMethodsAll(t *testing.T) {
	testenv.SharedData(t)
	tasks := sandboxtest.LoadTasks(t)
	p := localPool(t, Options{})
	want := readTable(t, "test_methods_first3.tsv")
	var mu sync.Mutex
	few, setUp, setUpTasks, tearDown := 0, 0, 0, 0
	parallel(len(tasks), 2, func(i int) {
		task := tasks[i]
		names, err := p.TestMethods(t.Context(), task.Test)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			t.Errorf("%s: %v", task.ID, err)
			return
		}
		first := names[:min(3, len(names))]
		if got := strings.Join(first, " "); got != want[task.ID] {
			t.Errorf("%s: first three %q, want %q", task.ID, got, want[task.ID])
		}
		tests, setUps := 0, 0
		for _, n := range first {
			tests += b2i(strings.HasPrefix(n, "test"))
			setUps += b2i(n == "setUp")
			tearDown += b2i(n == "tearDown")
		}
		setUp += setUps
		setUpTasks += b2i(setUps > 0)
		few += b2i(tests < 3)
		if task.ID == "BigCodeBench/994" && strings.Join(first, " ") != "__init__ raise_for_status setUp" {
			t.Errorf("BigCodeBench/994: %q", first)
		}
	})
	// protocol.md's "setUp in 407" counts names: one task has two setUp
	// among its first three (a helper class's and the TestCases').
	if few != 474 || setUp != 407 || setUpTasks != 406 || tearDown != 222 {
		t.Errorf("fewer than 3 tests among the first three: %d tasks (want 474), setUp %d times (407) in %d tasks (406), tearDown %d (222)",
			few, setUp, setUpTasks, tearDown)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
