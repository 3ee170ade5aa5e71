package tasks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// URLEnv names the environment variable that overrides where splits are
// downloaded from, like Config.URL (which wins when both are set).
const URLEnv = "CCW_BIGCODEBENCH_URL"

// maxDownload bounds what a server may make us write to disk; a published
// split is about 2.4 MB (Parquet) or 1.1 MB (jsonl.gz).
const maxDownload = 256 << 20

// defaultURLs are the public homes of a split (bigcodebench.md §1.3), tried
// in order: the Hugging Face dataset's Parquet file, then the GitHub release
// asset of bigcode-project/bigcodebench-annotation.
func defaultURLs(split string) []string {
	return []string{
		"https://huggingface.co/datasets/bigcode/bigcodebench/resolve/main/data/" + split + "-00000-of-00001.parquet",
		"https://github.com/bigcode-project/bigcodebench-annotation/releases/download/" + split + "/BigCodeBench.jsonl.gz",
	}
}

// splitURLs are the URLs to try for cfg.Split. An override (cfg.URL, else
// env CCW_BIGCODEBENCH_URL) containing "{split}" has it replaced by the
// split; otherwise it is a base URL laid out like the Hugging Face data/
// folder, and "/<split>-00000-of-00001.parquet" is appended.
func splitURLs(cfg Config) []string {
	override := cfg.URL
	if override == "" {
		override = os.Getenv(URLEnv)
	}
	switch {
	case override == "":
		return defaultURLs(cfg.Split)
	case strings.Contains(override, "{split}"):
		return []string{strings.ReplaceAll(override, "{split}", cfg.Split)}
	default:
		return []string{strings.TrimRight(override, "/") + "/" + cfg.Split + "-00000-of-00001.parquet"}
	}
}

// fetched is a verified copy of a split.
type fetched struct {
	tasks  []Task
	digest string
	origin string // the URL it was downloaded from (or the cache path)
	path   string // the cache file
}

// fetchSplit returns the split from the cache or, unless cfg.Offline, by
// downloading it. A cached copy is verified at every load; one that no
// longer verifies is replaced by a fresh download. A download goes to a
// temporary file in the cache directory, is parsed and verified, and only
// then renamed into place.
func fetchSplit(ctx context.Context, cfg Config, want string, pinned bool) (*fetched, error) {
	dir, err := cacheDir(cfg)
	if err != nil {
		return nil, err
	}
	urls := splitURLs(cfg)
	failure := &DownloadError{Split: cfg.Split, URLs: urls, CacheDir: dir, Offline: cfg.Offline}

	var stale []string
	for _, format := range []Format{Parquet, JSONLGzip, JSONL} {
		path := filepath.Join(dir, cachedName(cfg.Split, format))
		if _, err := os.Stat(path); err != nil {
			continue
		}
		f, err := verifyFile(path, path, cfg.Split, want, pinned)
		if err != nil {
			failure.Attempts = append(failure.Attempts, fmt.Errorf("cached copy does not verify: %w", err))
			stale = append(stale, path)
			continue
		}
		if origin, err := os.ReadFile(path + ".url"); err == nil {
			f.origin = strings.TrimSpace(string(origin))
		}
		return f, nil
	}
	if cfg.Offline {
		return nil, failure
	}
	for _, u := range urls {
		f, err := downloadSplit(ctx, u, dir, cfg.Split, want, pinned)
		if err != nil {
			failure.Attempts = append(failure.Attempts, err)
			continue
		}
		for _, p := range stale {
			if p != f.path {
				os.Remove(p)
				os.Remove(p + ".url")
			}
		}
		return f, nil
	}
	return nil, failure
}

// cacheDir is cfg.CacheDir or <user cache dir>/ccw/datasets.
func cacheDir(cfg Config) (string, error) {
	if cfg.CacheDir != "" {
		return cfg.CacheDir, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("tasks: no cache directory for downloads (set cache_dir): %w", err)
	}
	return filepath.Join(base, "ccw", "datasets"), nil
}

func cachedName(split string, f Format) string {
	return "bigcodebench-" + split + "." + string(f)
}

// verifyFile reads path and checks its canonical digest; what names the
// data in errors.
func verifyFile(path, what, split, want string, pinned bool) (*fetched, error) {
	tasks, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	got := CanonicalDigest(tasks)
	if got != want {
		return nil, &DigestMismatchError{What: what, Split: split, Expected: want, Actual: got, Pinned: pinned}
	}
	return &fetched{tasks: tasks, digest: got, origin: path, path: path}, nil
}

var httpClient = &http.Client{
	Timeout: 10 * time.Minute,
	Transport: func() http.RoundTripper {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.ResponseHeaderTimeout = time.Minute
		return t
	}(),
}

// downloadSplit fetches url into dir and verifies it.
func downloadSplit(ctx context.Context, url, dir, split, want string, pinned bool) (*fetched, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	req.Header.Set("User-Agent", "ccw (task download)")
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, err // *url.Error names the URL
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %s", url, resp.Status)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("tasks: cache directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".download-*")
	if err != nil {
		return nil, fmt.Errorf("tasks: cache directory: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	n, err := io.Copy(tmp, io.LimitReader(resp.Body, maxDownload+1))
	if err == nil && n > maxDownload {
		err = fmt.Errorf("larger than %d MiB, not a task split", maxDownload>>20)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	f, err := verifyFile(tmp.Name(), url, split, want, pinned)
	var mismatch *DigestMismatchError
	switch {
	case errors.As(err, &mismatch):
		return nil, err // names the URL already
	case err != nil:
		return nil, fmt.Errorf("%s: the downloaded file does not parse: %w", url, err)
	}
	format, err := DetectFormat(tmp.Name())
	if err != nil {
		return nil, err
	}
	final := filepath.Join(dir, cachedName(split, format))
	if err := writeAtomic(final+".url", []byte(url+"\n")); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return nil, fmt.Errorf("tasks: caching %s: %w", url, err)
	}
	f.origin, f.path = url, final
	return f, nil
}

// writeAtomic writes data to path through a temporary file and a rename.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("tasks: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("tasks: %w", err)
	}
	return nil
}

// DownloadError says that a split could not be had: not cached and not
// downloadable (offline, unreachable, HTTP errors, digest mismatches). Its
// message names every URL and says how to use a local copy instead.
type DownloadError struct {
	Split    string
	URLs     []string
	CacheDir string
	Offline  bool
	// Attempts holds one error per cached copy or URL tried.
	Attempts []error
}

func (e *DownloadError) Error() string {
	var b strings.Builder
	if e.Offline {
		fmt.Fprintf(&b, "tasks: offline: BigCodeBench split %q is not in the cache (%s), and it may not be downloaded from %s",
			e.Split, e.CacheDir, strings.Join(e.URLs, " or "))
	} else {
		fmt.Fprintf(&b, "tasks: cannot download BigCodeBench split %q (cache: %s); tried %s",
			e.Split, e.CacheDir, strings.Join(e.URLs, ", "))
	}
	for _, err := range e.Attempts {
		b.WriteString("\n  - ")
		b.WriteString(strings.ReplaceAll(err.Error(), "\n", "\n    "))
	}
	fmt.Fprintf(&b, "\nTo use a local copy, set path = \"/path/to/BigCodeBench-%s.jsonl.gz\" (or .jsonl, .parquet) in the tasks block"+
		" (with the examples: --var tasks=PATH), or point url (or env %s) at a mirror.", e.Split, URLEnv)
	return b.String()
}

// Unwrap gives errors.As access to the attempts (a *DigestMismatchError,
// a *url.Error).
func (e *DownloadError) Unwrap() []error { return e.Attempts }
