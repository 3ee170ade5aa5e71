package tasks

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// splitServer serves files by URL path on loopback and counts requests.
type splitServer struct {
	*httptest.Server
	mu       sync.Mutex
	files    map[string][]byte
	requests int
}

func newSplitServer(t *testing.T, files map[string][]byte) *splitServer {
	s := &splitServer{files: files}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests++
		data, ok := s.files[r.URL.Path]
		s.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *splitServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// sharedParquet returns a Parquet copy of a shared split, as the Hugging
// Face dataset publishes it.
func sharedParquet(t *testing.T, file string) []byte {
	t.Helper()
	tasks, err := ReadFile(sharedSplit(t, file))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "split.parquet")
	writeParquet(t, path, taskColumns(tasks))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func sharedBytes(t *testing.T, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(sharedSplit(t, file))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// cacheFiles lists the names in a cache directory.
func cacheFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

const hfPath = "/data/v0.1.0_hf-00000-of-00001.parquet"

func TestDownloadVerifyAndReuseCache(t *testing.T) {
	t.Setenv(URLEnv, "")
	srv := newSplitServer(t, map[string][]byte{hfPath: sharedParquet(t, "BigCodeBench-v0.1.0_hf.jsonl.gz")})
	cache := t.TempDir()
	cfg := Config{Source: "bigcodebench", URL: srv.URL + "/data/", CacheDir: cache, Subset: "hard", Limit: 2}
	url := srv.URL + hfPath

	set, err := Load(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if set.Origin != url || set.Digest != pins["v0.1.0_hf"] || set.Total != 1140 || len(set.Tasks) != 2 || srv.count() != 1 {
		t.Fatalf("first load: origin %q digest %s total %d, %d tasks, %d requests", set.Origin, set.Digest, set.Total, len(set.Tasks), srv.count())
	}
	want := []string{"bigcodebench-v0.1.0_hf.parquet", "bigcodebench-v0.1.0_hf.parquet.url"}
	if got := cacheFiles(t, cache); !slices.Equal(got, want) {
		t.Fatalf("cache holds %q, want %q", got, want)
	}

	for _, offline := range []bool{false, true} {
		cfg.Offline = offline
		again, err := Load(context.Background(), cfg)
		if err != nil {
			t.Fatalf("offline=%v: %v", offline, err)
		}
		if srv.count() != 1 {
			t.Fatalf("offline=%v: a cached load made a request (%d in all)", offline, srv.count())
		}
		if again.Origin != url || again.CachePath != filepath.Join(cache, want[0]) || again.Digest != set.Digest {
			t.Fatalf("offline=%v: origin %q cache %q", offline, again.Origin, again.CachePath)
		}
	}
}

func TestDownloadURLTemplateFromEnv(t *testing.T) {
	srv := newSplitServer(t, map[string][]byte{
		"/releases/v0.1.4/BigCodeBench.jsonl.gz": sharedBytes(t, "BigCodeBench-v0.1.4-derived.jsonl.gz"),
	})
	t.Setenv(URLEnv, srv.URL+"/releases/{split}/BigCodeBench.jsonl.gz")
	cache := t.TempDir()
	set, err := Load(context.Background(), Config{Split: "v0.1.4", CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	if set.Digest != pins["v0.1.4"] || set.Origin != srv.URL+"/releases/v0.1.4/BigCodeBench.jsonl.gz" ||
		set.CachePath != filepath.Join(cache, "bigcodebench-v0.1.4.jsonl.gz") {
		t.Fatalf("set = digest %s origin %s cache %s", set.Digest, set.Origin, set.CachePath)
	}
}

func TestDownloadFailures(t *testing.T) {
	t.Setenv(URLEnv, "")
	srv := newSplitServer(t, map[string][]byte{
		// v0.1.4 content where v0.1.0_hf is expected.
		hfPath:                                   sharedBytes(t, "BigCodeBench-v0.1.4-derived.jsonl.gz"),
		"/html/v0.1.0_hf-00000-of-00001.parquet": []byte("<html>rate limited</html>\n"),
	})
	closed := closedURL(t)
	hint := []string{`set path = "/path/to/BigCodeBench-v0.1.0_hf.jsonl.gz"`, "--var tasks=PATH", URLEnv}
	cases := []struct {
		name     string
		cfg      Config
		wantErr  []string
		requests int
		mismatch bool
	}{
		{name: "404", cfg: Config{URL: srv.URL + "/missing/{split}.parquet"}, requests: 1,
			wantErr: []string{srv.URL + "/missing/v0.1.0_hf.parquet: HTTP 404 Not Found"}},
		{name: "digest mismatch", cfg: Config{URL: srv.URL + "/data"}, requests: 1, mismatch: true,
			wantErr: []string{srv.URL + hfPath, `pinned digest of split "v0.1.0_hf"`,
				"expected " + pins["v0.1.0_hf"], "actual   " + pins["v0.1.4"], `set digest = "` + pins["v0.1.4"] + `"`}},
		{name: "not task data", cfg: Config{URL: srv.URL + "/html"}, requests: 1,
			wantErr: []string{srv.URL + "/html/v0.1.0_hf-00000-of-00001.parquet: the downloaded file does not parse", "invalid JSON"}},
		{name: "offline", cfg: Config{URL: srv.URL + "/data", Offline: true}, requests: 0,
			wantErr: []string{"offline", "not in the cache", "may not be downloaded from " + srv.URL + hfPath}},
		{name: "unreachable", cfg: Config{URL: closed + "/{split}.parquet"}, requests: 0,
			wantErr: []string{"cannot download", closed + "/v0.1.0_hf.parquet", "connection refused"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := srv.count()
			cache := t.TempDir()
			c.cfg.CacheDir = cache
			_, err := Load(context.Background(), c.cfg)
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range append(c.wantErr, hint...) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not contain %q:\n%v", want, err)
				}
			}
			var mismatch *DigestMismatchError
			if asMismatch(err, &mismatch) != c.mismatch {
				t.Errorf("errors.As(DigestMismatchError) = %v, want %v", !c.mismatch, c.mismatch)
			}
			if n := srv.count() - before; n != c.requests {
				t.Errorf("%d requests, want %d", n, c.requests)
			}
			if files := cacheFiles(t, cache); len(files) != 0 {
				t.Errorf("cache not empty after a failure: %q", files)
			}
		})
	}
}

// closedURL is the URL of a loopback port nobody listens on.
func closedURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func TestDownloadReplacesBadCache(t *testing.T) {
	t.Setenv(URLEnv, "")
	srv := newSplitServer(t, map[string][]byte{hfPath: sharedBytes(t, "BigCodeBench-v0.1.0_hf.jsonl.gz")})
	for name, content := range map[string][]byte{
		"corrupt":     []byte("PAR1 not really"),
		"other split": sharedParquet(t, "BigCodeBench-v0.1.4-derived.jsonl.gz"),
	} {
		t.Run(name, func(t *testing.T) {
			cache := t.TempDir()
			writeFile(t, cache, "bigcodebench-v0.1.0_hf.parquet", content)
			cfg := Config{URL: srv.URL + "/data", CacheDir: cache, Offline: true}

			_, err := Load(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), "cached copy does not verify") || !strings.Contains(err.Error(), "offline") {
				t.Fatalf("offline with a bad cache: error = %v", err)
			}

			before := srv.count()
			cfg.Offline = false
			set, err := Load(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if srv.count() != before+1 || set.Digest != pins["v0.1.0_hf"] {
				t.Fatalf("%d requests, digest %s", srv.count()-before, set.Digest)
			}
			want := []string{"bigcodebench-v0.1.0_hf.jsonl.gz", "bigcodebench-v0.1.0_hf.jsonl.gz.url"}
			if got := cacheFiles(t, cache); !slices.Equal(got, want) {
				t.Fatalf("cache holds %q, want %q (the bad copy removed)", got, want)
			}
		})
	}
}

func TestDownloadCancelled(t *testing.T) {
	t.Setenv(URLEnv, "")
	srv := newSplitServer(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Load(ctx, Config{URL: srv.URL, CacheDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("error = %v", err)
	}
}

func TestDefaultURLs(t *testing.T) {
	t.Setenv(URLEnv, "")
	got := splitURLs(Config{Split: "v0.1.4"})
	want := []string{
		"https://huggingface.co/datasets/bigcode/bigcodebench/resolve/main/data/v0.1.4-00000-of-00001.parquet",
		"https://github.com/bigcode-project/bigcodebench-annotation/releases/download/v0.1.4/BigCodeBench.jsonl.gz",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("splitURLs = %q", got)
	}
	t.Setenv(URLEnv, "http://mirror.invalid/bcb")
	if got := splitURLs(Config{Split: "v0.1.4", URL: "http://config.invalid/{split}.jsonl"}); !slices.Equal(got, []string{"http://config.invalid/v0.1.4.jsonl"}) {
		t.Fatalf("config URL does not win over env: %q", got)
	}
	if got := splitURLs(Config{Split: "v0.1.4"}); !slices.Equal(got, []string{"http://mirror.invalid/bcb/v0.1.4-00000-of-00001.parquet"}) {
		t.Fatalf("env base URL: %q", got)
	}
}
