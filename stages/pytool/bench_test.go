package pytool

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ccw-dev/ccw/internal/testenv"
	"github.com/ccw-dev/ccw/stages/sandbox/sandboxtest"
)

// benchCode is a typical solution: a few functions, about 3 KB.
var benchCode = strings.Repeat("import os\n\ndef helper(x, y=3):\n    \"\"\"Adds.\"\"\"\n    total = 0\n    for i in range(x):\n        total += i * y\n    return total\n\n", 20) +
	"def task_func(n):\n    return helper(n)\n"

// spawnCompile is one compile in a new interpreter, as a tool without a
// helper would do it.
func spawnCompile(ctx context.Context, python string, prefix []string, code string) error {
	args := append(append([]string(nil), prefix...), python, "-I", "-S", "-c", "import sys; compile(sys.stdin.read(), 'tmp.py', 'exec')")
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdin = strings.NewReader(code)
	return cmd.Run()
}

// BenchmarkCompile measures compile requests per second through the
// helper and by spawning `python3 -c compile(...)` per request, one after
// the other in each iteration so that the machine's load weighs on both
// alike, and reports their ratio. With Docker it also measures the
// helper container against `docker exec` into a running container.
func BenchmarkCompile(b *testing.B) {
	testenv.NeedPython(b)
	b.Run("local", func(b *testing.B) {
		p := localPool(b, Options{Helpers: 1})
		compare(b, func() error { _, err := p.Compile(context.Background(), benchCode); return err },
			func() error { return spawnCompile(context.Background(), testenv.Python, nil, benchCode) })
	})
	b.Run("docker", func(b *testing.B) {
		sandboxtest.NeedDocker(b)
		p, err := NewPool(dockerInterpreter, Options{Helpers: 1})
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close()
		start := time.Now()
		if _, err := p.Compile(context.Background(), "x = 1"); err != nil {
			b.Fatal(err)
		}
		startup := time.Since(start)
		args := []string{"run", "-d", "--rm", "--network", "none"}
		for _, m := range dockerInterpreter.Mounts {
			args = append(args, "-v", m)
		}
		out, err := exec.Command("docker", append(args, dockerInterpreter.Image, dockerInterpreter.Python, "-c", "import time; time.sleep(600)")...).Output()
		if err != nil {
			b.Fatal(err)
		}
		id := strings.TrimSpace(string(out))
		defer exec.Command("docker", "rm", "-f", id).Run()
		compare(b, func() error { _, err := p.Compile(context.Background(), benchCode); return err },
			func() error {
				return spawnCompile(context.Background(), dockerInterpreter.Python, []string{"docker", "exec", "-i", id}, benchCode)
			})
		b.ReportMetric(float64(startup.Milliseconds()), "container_start_ms")
	})
}

// compare times helper() and spawn() b.N times each, interleaved.
func compare(b *testing.B, helper, spawn func() error) {
	if err := helper(); err != nil { // starts the helper
		b.Fatal(err)
	}
	var th, ts time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if err := helper(); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := spawn(); err != nil {
			b.Fatal(err)
		}
		th += t1.Sub(t0)
		ts += time.Since(t1)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/th.Seconds(), "helper_req/s")
	b.ReportMetric(float64(b.N)/ts.Seconds(), "spawn_req/s")
	b.ReportMetric(ts.Seconds()/th.Seconds(), "ratio")
}
