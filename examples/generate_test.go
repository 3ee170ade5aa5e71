// End-to-end tests of examples/generate.hcl: the real ccw binary, the real
// sandbox (Debian's /usr/bin/python3) and, for the model, either the mock
// provider or a scripted OpenAI-compatible server on loopback.
package examples_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ccw-dev/ccw/internal/resultstest"
	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages/llm/llmtest"
)

// sameResults checks that two turns.parquet files are identical, byte for
// byte (rows depend only on results, never on cache provenance), and
// reports the first differing row if not.
func sameResults(t *testing.T, a, b string) {
	t.Helper()
	ba, errA := os.ReadFile(a)
	bb, errB := os.ReadFile(b)
	if errA != nil || errB != nil {
		t.Fatalf("reading results: %v %v", errA, errB)
	}
	if bytes.Equal(ba, bb) {
		return
	}
	ra, rb := readTurns(t, a), readTurns(t, b)
	if len(ra) != len(rb) {
		t.Fatalf("%d rows vs %d", len(ra), len(rb))
	}
	for i := range ra {
		if !reflect.DeepEqual(ra[i], rb[i]) {
			t.Errorf("row %d differs:\n%+v\n%+v", i, ra[i], rb[i])
		}
	}
	t.Errorf("%s and %s differ", a, b)
}

// sameOutcomes compares two runs' rows without their timings (a fresh run
// executes and calls anew).
func sameOutcomes(t *testing.T, a, b string) {
	t.Helper()
	resultstest.SameTurns(t, a, b)
}

// TestGenerateMock: with no endpoint the example runs on the toy tasks with
// the mock provider, and again with --offline from the cache.
func TestGenerateMock(t *testing.T) {
	needPython(t)
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	log := ccw(t, nil, 0, "run", "generate.hcl", "--cache", cache, "--out", filepath.Join(dir, "a"))
	if !strings.Contains(log, "passed 2 · failed 1") {
		t.Errorf("first run:\n%s", log)
	}
	rows := readTurns(t, filepath.Join(dir, "a", "turns.parquet"))
	for _, r := range rows {
		if r.Model == nil || *r.Model != "ccw-toy-mock" || r.TokensIn == nil || *r.TokensIn == 0 {
			t.Errorf("row %s: model %v tokens %v", r.TaskID, r.Model, r.TokensIn)
		}
	}
	log = ccw(t, nil, 0, "run", "generate.hcl", "--cache", cache, "--out", filepath.Join(dir, "b"), "--offline")
	if !strings.Contains(log, "nothing was executed") {
		t.Errorf("offline run:\n%s", log)
	}
	sameResults(t, filepath.Join(dir, "a", "turns.parquet"), filepath.Join(dir, "b", "turns.parquet"))
}

// decoded returns the rows of a ccw Parquet table as JSON, nil for other
// files.
func decoded(t *testing.T, path string) []byte {
	t.Helper()
	var rows any
	var err error
	switch filepath.Base(path) {
	case "turns.parquet":
		rows, err = schemas.Turns.Read(path)
	case "calls.parquet":
		rows, err = schemas.Calls.Read(path)
	default:
		if strings.HasSuffix(path, ".parquet") {
			t.Fatalf("%s: a Parquet table this test cannot decode", path)
		}
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	j, _ := json.Marshal(rows)
	return j
}

// forget deletes the action-cache entries of one stage type: files under
// ac.v1 whose header (magic "ccwac", version, type) names it. It returns
// how many.
func forget(t *testing.T, cache, cacheType string) int {
	t.Helper()
	n := 0
	err := filepath.Walk(filepath.Join(cache, "ac.v1"), func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.HasPrefix(b, []byte("ccwac")) && bytes.Contains(b[:min(len(b), 64)], []byte(cacheType)) {
			n++
			return os.Remove(path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The read index (index.v1) holds copies of entries; it is only an
	// accelerator, and dropping it is the supported way to forget.
	if err := os.RemoveAll(filepath.Join(cache, "index.v1")); err != nil {
		t.Fatal(err)
	}
	return n
}

// toyAnswer answers like a model that knows two of the three toy tasks.
func toyAnswer(r llmtest.Request) string {
	p := r.Text()
	switch {
	case strings.Contains(p, "Count the vowels"):
		return "```python\ndef task_func(text):\n    return sum(ch in 'aeiou' for ch in text.lower())\n```"
	case strings.Contains(p, "running totals"):
		return "Sure.\n```python\nimport itertools\n\ndef task_func(values):\n    return list(itertools.accumulate(values))\n```\n"
	default:
		return "I am not sure."
	}
}

const secretKey = "sk-e2e-5f4e3d2c1b0a99887766554433221100ffeeddcc"

// TestGenerateLoopback: a full run against a scripted server that needs
// the key and throws a 429, a 500 and a cut body; then --offline with zero
// connections and the same results; then the key is looked for
// everywhere the run wrote.
func TestGenerateLoopback(t *testing.T) {
	needPython(t)
	srv := llmtest.New()
	defer srv.Close()
	srv.Key = secretKey
	srv.Answer = toyAnswer
	srv.Push(llmtest.Fault{Status: 429, RetryAfter: "0.05", Message: "slow down"}, llmtest.Fault500, llmtest.FaultCut)
	dir := t.TempDir()
	cache, outA, outB := filepath.Join(dir, "cache"), filepath.Join(dir, "a"), filepath.Join(dir, "b")
	env := []string{"OPENAI_API_KEY=" + secretKey}
	args := []string{"run", "generate.hcl", "--var", "base_url=" + srv.BaseURL(), "--var", "model=toy-coder",
		"--cache", cache, "--json"}
	logA := ccw(t, env, 0, append(args, "--out", outA)...)
	if srv.Requests() != 6 { // 3 tasks + 3 faults
		t.Errorf("server saw %d requests, want 6", srv.Requests())
	}
	if !strings.Contains(logA, "retry 1/6") {
		t.Errorf("retries are not visible in the progress output:\n%s", logA)
	}
	rows := readTurns(t, filepath.Join(outA, "turns.parquet"))
	passed := 0
	for _, r := range rows {
		if r.Passed {
			passed++
		}
		if r.Model == nil || *r.Model != "toy-coder" {
			t.Errorf("row %s model %v", r.TaskID, r.Model)
		}
	}
	if passed != 2 {
		t.Errorf("%d passed, want 2", passed)
	}

	conns, reqs := srv.Connections(), srv.Requests()
	logB := ccw(t, nil, 0, append(args, "--out", outB, "--offline")...)
	if srv.Connections() != conns || srv.Requests() != reqs {
		t.Errorf("--offline opened %d connections and sent %d requests", srv.Connections()-conns, srv.Requests()-reqs)
	}
	sameResults(t, filepath.Join(outA, "turns.parquet"), filepath.Join(outB, "turns.parquet"))

	// Forget the generate results (not the calls below them): the stage
	// runs again, offline, and every call comes from the sub-store.
	if n := forget(t, cache, "ccw.generate.v1"); n != 3 {
		t.Fatalf("forgot %d generate results, want 3 (has the cache layout changed?)", n)
	}
	outC := filepath.Join(dir, "c")
	logC := ccw(t, nil, 0, append(args, "--out", outC, "--offline")...)
	if srv.Connections() != conns || srv.Requests() != reqs {
		t.Errorf("--offline after forgetting opened %d connections", srv.Connections()-conns)
	}
	if n := strings.Count(logC, `"event":"ran","experiment":"generate","stage":"generate.solution"`); n != 3 {
		t.Errorf("generate ran %d times again, want 3:\n%s", n, logC)
	}
	sameResults(t, filepath.Join(outA, "turns.parquet"), filepath.Join(outC, "turns.parquet"))
	logB += logC

	// The key is nowhere: not in the cache, the results or the logs.
	var all bytes.Buffer
	all.WriteString(logA + logB)
	for _, root := range []string{cache, outA, outB, outC} {
		err := filepath.Walk(root, func(path string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			all.Write(b)
			all.Write(decoded(t, path)) // Parquet is compressed: search the decoded rows too
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if all.Len() < 1000 {
		t.Fatalf("found almost nothing to search (%d bytes)", all.Len())
	}
	for _, s := range []string{secretKey, secretKey[len(secretKey)-20:]} {
		if bytes.Contains(all.Bytes(), []byte(s)) {
			t.Errorf("the API key (or its tail %q) was written somewhere", s)
		}
	}

	// Streamed answers, one stream cut halfway: the same results.
	srv.Push(llmtest.FaultCut)
	before := len(srv.Log())
	outD := filepath.Join(dir, "d")
	ccw(t, env, 0, "run", "generate.hcl", "--var", "base_url="+srv.BaseURL(), "--var", "model=toy-coder",
		"--var", "stream=true", "--cache", filepath.Join(dir, "cache-stream"), "--out", outD)
	streamed := srv.Log()[before:]
	if len(streamed) != 4 { // 3 tasks + the cut one
		t.Errorf("streamed run sent %d requests, want 4", len(streamed))
	}
	for _, r := range streamed {
		if !r.Stream() {
			t.Errorf("--var stream=true sent a request without stream: %s", r.Body)
		}
	}
	sameOutcomes(t, filepath.Join(outA, "turns.parquet"), filepath.Join(outD, "turns.parquet"))
}

// TestGenerateWrongKey: a refused key fails the run with a message that
// names the model block and masks the key.
func TestGenerateWrongKey(t *testing.T) {
	needPython(t)
	srv := llmtest.New()
	defer srv.Close()
	srv.Key = "sk-the-right-one-000000000000000000000000"
	dir := t.TempDir()
	log := ccw(t, []string{"OPENAI_API_KEY=" + secretKey}, 1, "run", "generate.hcl", "--var", "base_url="+srv.BaseURL(),
		"--var", "model=toy-coder", "--cache", filepath.Join(dir, "cache"), "--out", filepath.Join(dir, "out"))
	for _, s := range []string{`model "coder"`, "refused API key sk-…ddcc", "401"} {
		if !strings.Contains(log, s) {
			t.Errorf("log lacks %q:\n%s", s, log)
		}
	}
	if strings.Contains(log, secretKey) {
		t.Errorf("the key is in the log")
	}
	if srv.Requests() != 3 {
		t.Errorf("%d requests: a refused key must not be retried (3 tasks)", srv.Requests())
	}
}
