package pytool

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ccw-dev/ccw/stages/sandbox/sandboxtest"
)

// dockerInterpreter is Debian's python3 in the test image, with the host's
// /usr mounted read-only (as the sandbox's docker tests run it).
var dockerInterpreter = Interpreter{
	Backend: "docker", Python: sandboxtest.Python, Image: sandboxtest.DockerImage,
	Mounts: []string{"/usr:/usr:ro", "/etc/alternatives:/etc/alternatives:ro"},
}

func helperContainers(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("docker", "ps", "-aq", "--filter", "label="+LabelHelper).CombinedOutput()
	if err != nil {
		t.Fatalf("docker ps: %v: %s", err, out)
	}
	return strings.Fields(string(out))
}

// TestDocker runs the helper in a container: the answers are byte for
// byte those of the same interpreter run locally, a limit hit replaces
// the container, and Close leaves no container behind.
func TestDocker(t *testing.T) {
	sandboxtest.NeedDocker(t)
	before := len(helperContainers(t))
	d, err := NewPool(dockerInterpreter, Options{CPU: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	l := localPool(t, Options{})
	for _, c := range compileCases[:16] {
		rd, err := d.Compile(t.Context(), c.code)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		rl, err := l.Compile(t.Context(), c.code)
		if err != nil {
			t.Fatal(err)
		}
		if rd != rl {
			t.Errorf("%s: docker %+v, local %+v", c.name, rd, rl)
		}
	}
	answer := "```python\nimport os\n\ndef task_func():\n    return os.sep\n\nprint(task_func())\n```"
	sd, err := d.Sanitize(t.Context(), SanitizeRequest{Code: answer, EntryPoint: "task_func"})
	if err != nil || sd.Code != "import os\n\ndef task_func():\n    return os.sep" {
		t.Errorf("sanitize in docker: %+v %v", sd, err)
	}
	names, err := d.TestMethods(t.Context(), "class T:\n    def setUp(self): pass\n    def test_a(self): pass\n")
	if err != nil || strings.Join(names, ",") != "setUp,test_a" {
		t.Errorf("test_methods in docker: %v %v", names, err)
	}
	r, err := d.Compile(t.Context(), cpuCode)
	if err != nil || r.Limit != LimitCPU {
		t.Errorf("slow code in docker: %+v %v", r, err)
	}
	if r, err := d.Compile(t.Context(), "x = 1"); err != nil || !r.OK {
		t.Errorf("after a limit: %+v %v", r, err)
	}
	if v, err := d.Python(t.Context()); err != nil || v == "" {
		t.Errorf("python version: %q %v", v, err)
	}
	d.Close()
	// The engine removes an ended helper container by itself (AutoRemove).
	for i := 0; len(helperContainers(t)) > before; i++ {
		if i == 100 {
			t.Fatalf("%d helper containers left after Close", len(helperContainers(t))-before)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
