package tasks

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// debianPython is the interpreter the tasks are specified for.
const debianPython = "/usr/bin/python3"

// miniRunner runs a program (solution and tests) as one module named
// __test__, as BigCodeBench does, with the program's output swallowed. It
// writes JSON lines to the file named by argv[2]: the imports that are not
// in the standard library, one line per test as it completes (so a run
// killed at the limit still tells what finished), an "ALL" error when the
// module itself fails, and "done".
const miniRunner = `
import ast, json, os, signal, sys, types, unittest

class TimeoutException(Exception):
    pass

def main():
    program, result, alarm = sys.argv[1], sys.argv[2], float(sys.argv[3])
    out = open(result, "w")
    def emit(**event):
        out.write(json.dumps(event) + "\n")
        out.flush()
    with open(program) as f:
        source = f.read()
    try:
        mods = set()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                mods.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                mods.add(node.module.split(".")[0])
        emit(event="imports", nonstd=sorted(m for m in mods if m not in sys.stdlib_module_names))
    except SyntaxError:
        pass
    sys.stdout = sys.stderr = open(os.devnull, "w")
    module = types.ModuleType("__test__")
    module.__file__ = "__test__.py"
    sys.modules["__test__"] = module
    try:
        exec(compile(source, "__test__.py", "exec"), module.__dict__)
        suite = unittest.TestLoader().loadTestsFromTestCase(module.TestCases)
    except BaseException as e:
        emit(event="test", name="ALL", status="error", message="%s: %s" % (type(e).__name__, e))
        emit(event="done")
        return

    class Streaming(unittest.TestResult):
        def report(self, test, status, err=None):
            message = "" if err is None else self._exc_info_to_string(err, test)
            emit(event="test", name=test.id().split(".")[-1], status=status, message=message)
        def addSuccess(self, test):
            super().addSuccess(test)
            self.report(test, "pass")
        def addFailure(self, test, err):
            super().addFailure(test, err)
            self.report(test, "fail", err)
        def addError(self, test, err):
            super().addError(test, err)
            self.report(test, "error", err)
        def addSubTest(self, test, subtest, err):
            super().addSubTest(test, subtest, err)
            if err is not None:
                self.report(test, "fail", err)

    # BigCodeBench's time limit: one alarm around the suite that raises
    # inside whatever test is running; the parent kills a second later.
    def on_alarm(signum, frame):
        raise TimeoutException("Timed out!")
    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, alarm)
    suite.run(Streaming())
    signal.setitimer(signal.ITIMER_REAL, 0)
    emit(event="done")

main()
`

// miniEvent is one line the runner writes.
type miniEvent struct {
	Event   string   `json:"event"`
	Name    string   `json:"name"`
	Status  string   `json:"status"`
	Message string   `json:"message"`
	NonStd  []string `json:"nonstd"`
}

// miniOutcome is what running one reference gave.
type miniOutcome struct {
	status string            // pass | fail | timeout | crash
	tests  map[string]string // test name → pass | fail | error
	order  []string          // test names in the order they reported
	nonStd []string
	detail string // messages of failing tests, runner stderr
}

// runReference runs program with the inline runner under a wall-time
// limit as BigCodeBench applies it: an alarm inside the process at the
// limit, and the whole process group killed one second later.
func runReference(t *testing.T, program string, limit time.Duration) miniOutcome {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"runner.py": miniRunner, "program.py": program}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	result := filepath.Join(dir, "result.jsonl")
	cmd := exec.Command(debianPython, "-I", "runner.py", "program.py", result, fmt.Sprint(limit.Seconds()))
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + dir, "TMPDIR=" + dir, "TZ=UTC", "LANG=C.UTF-8", "PATH=/usr/bin:/bin"}
	cmd.Stderr = stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var timedOut atomic.Bool
	timer := time.AfterFunc(limit+time.Second, func() {
		timedOut.Store(true)
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	})
	waitErr := cmd.Wait()
	timer.Stop()
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // anything the program left behind

	out := miniOutcome{tests: map[string]string{}}
	done := false
	if f, err := os.Open(result); err == nil {
		defer f.Close()
		for sc := bufio.NewScanner(f); sc.Scan(); {
			var e miniEvent
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatalf("runner wrote %q: %v", sc.Text(), err)
			}
			switch e.Event {
			case "imports":
				out.nonStd = e.NonStd
			case "test":
				if _, seen := out.tests[e.Name]; !seen {
					out.order = append(out.order, e.Name)
				}
				if out.tests[e.Name] == "" || out.tests[e.Name] == "pass" {
					out.tests[e.Name] = e.Status
				}
				if e.Status != "pass" {
					out.detail += e.Name + ": " + e.Message + "\n"
				}
			case "done":
				done = true
			}
		}
	}
	errText, _ := os.ReadFile(stderr.Name())
	out.detail += string(errText)
	switch {
	case timedOut.Load():
		out.status = "timeout"
	case !done:
		out.status = "crash"
		out.detail += fmt.Sprintf("runner ended without done: %v\n", waitErr)
	case slices.ContainsFunc(out.order, func(n string) bool { return out.tests[n] != "pass" }):
		out.status = "fail"
	default:
		out.status = "pass"
	}
	return out
}

// miniExpectation is one row of the table in examples/tasks/README.md.
type miniExpectation struct {
	status  string
	failing []string
}

// readMiniTable reads the documented status of every task.
func readMiniTable(t *testing.T, path string) map[string]miniExpectation {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]miniExpectation{}
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "| CCWMini/") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 7 {
			t.Fatalf("README row with too few cells: %q", line)
		}
		id := strings.TrimSpace(cells[1])
		if _, dup := rows[id]; dup {
			t.Fatalf("README lists %s twice", id)
		}
		e := miniExpectation{status: strings.TrimSpace(cells[4])}
		for _, name := range strings.Split(cells[5], ",") {
			if name = strings.Trim(strings.TrimSpace(name), "`"); name != "" {
				e.failing = append(e.failing, name)
			}
		}
		slices.Sort(e.failing)
		rows[id] = e
	}
	return rows
}

var (
	libsLiteral = regexp.MustCompile(`^\[('[A-Za-z_][A-Za-z0-9_]*'(, '[A-Za-z_][A-Za-z0-9_]*')*)?\]$`)
	testMethod  = regexp.MustCompile(`(?m)^    def (test_\w+)\(self\):`)
)

const instructTail = "\nYou should write self-contained code starting with:\n```\n"

// TestCCWMini checks examples/tasks/ccw-mini.jsonl: BigCodeBench's format,
// unique ids, standard library only, and that every reference solution,
// run with Debian's python3, gives the status the README documents.
func TestCCWMini(t *testing.T) {
	root := repoRoot(t)
	tasks, err := ReadFile(filepath.Join(root, "examples", "tasks", "ccw-mini.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tasks); n < 10 || n > 20 {
		t.Fatalf("%d tasks, want 10 to 20", n)
	}
	table := readMiniTable(t, filepath.Join(root, "examples", "tasks", "README.md"))
	if len(table) != len(tasks) {
		t.Errorf("README documents %d tasks, the file has %d", len(table), len(tasks))
	}
	for i, task := range tasks {
		if want := fmt.Sprintf("CCWMini/%d", i); task.ID != want {
			t.Fatalf("task %d has id %q, want %q", i, task.ID, want)
		}
		if err := checkBigCodeBenchFormat(task); err != nil {
			t.Errorf("%s: %v", task.ID, err)
		}
	}
	if _, err := os.Stat(debianPython); err != nil {
		unavailable(t, "Debian's python3 is needed to run the references: %v", err)
	}
	for _, task := range tasks {
		want, ok := table[task.ID]
		if !ok {
			t.Errorf("%s: not documented in the README", task.ID)
			continue
		}
		t.Run(task.ID, func(t *testing.T) {
			t.Parallel()
			checkReference(t, task, want)
		})
	}
}

// checkReference runs the task's reference and compares it with want.
func checkReference(t *testing.T, task Task, want miniExpectation) {
	// The quickstart's limit, under which the README's statuses hold (the
	// suites that do not hang take well under a second).
	limit := 3 * time.Second
	program := task.Fields["complete_prompt"] + "\n" + task.Fields["canonical_solution"] + "\n" + task.Fields["test"]
	got := runReference(t, program, limit)
	if len(got.nonStd) > 0 {
		t.Errorf("imports outside the standard library: %q", got.nonStd)
	}
	if got.status != want.status {
		t.Fatalf("status %s, README says %s\n%s", got.status, want.status, got.detail)
	}
	methods := testMethod.FindAllStringSubmatch(task.Fields["test"], -1)
	switch want.status {
	case "timeout":
		// The tests before the hanging one passed; the hanging one never reported.
		for _, name := range got.order {
			if got.tests[name] != "pass" || slices.Contains(want.failing, name) {
				t.Errorf("test %s reported %s before the timeout", name, got.tests[name])
			}
		}
		if len(got.order) != len(methods)-len(want.failing) {
			t.Errorf("%d tests reported before the timeout, want %d", len(got.order), len(methods)-len(want.failing))
		}
	default:
		var failing []string
		for name, status := range got.tests {
			if status != "pass" {
				failing = append(failing, name)
			}
		}
		slices.Sort(failing)
		if !slices.Equal(failing, want.failing) {
			t.Errorf("failing tests %q, README says %q\n%s", failing, want.failing, got.detail)
		}
		if !slices.Equal(want.failing, []string{"ALL"}) && len(got.tests) != len(methods) {
			t.Errorf("%d tests reported, the suite has %d", len(got.tests), len(methods))
		}
	}
}

// checkBigCodeBenchFormat checks the shape BigCodeBench's records have.
func checkBigCodeBenchFormat(task Task) error {
	f := task.Fields
	var doc map[string][]string
	methods := len(testMethod.FindAllString(f["test"], -1))
	switch {
	case f["entry_point"] != "task_func":
		return fmt.Errorf("entry_point %q", f["entry_point"])
	case !strings.HasSuffix(f["instruct_prompt"], instructTail+f["code_prompt"]+"```"):
		return errors.New("instruct_prompt does not end with the BigCodeBench tail and the fenced code_prompt")
	case !strings.Contains(f["complete_prompt"], "def task_func(") || !strings.HasSuffix(f["complete_prompt"], "\"\"\"\n"):
		return errors.New("complete_prompt is not imports + def task_func + docstring")
	case !strings.HasSuffix(f["code_prompt"], ":\n") || strings.Contains(f["code_prompt"], `"""`):
		return errors.New("code_prompt is not the bare signature")
	case !libsLiteral.MatchString(f["libs"]):
		return fmt.Errorf("libs %q is not a Python list literal of module names", f["libs"])
	case json.Unmarshal([]byte(f["doc_struct"]), &doc) != nil:
		return fmt.Errorf("doc_struct is not a JSON object of string lists")
	case len(doc) != 7 || doc["description"] == nil || doc["returns"] == nil:
		return fmt.Errorf("doc_struct keys: %v", doc)
	case !strings.Contains(f["test"], "class TestCases(unittest.TestCase):"):
		return errors.New("test has no TestCases")
	case methods < 3 || methods > 6:
		return fmt.Errorf("%d test methods, want 3 to 6", methods)
	}
	return nil
}
