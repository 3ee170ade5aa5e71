package sandbox

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// workBase is where work dirs are made on the host when a run has no
// private /tmp: os.TempDir() if every user can pass through it (python may
// run as nobody), /tmp otherwise.
func workBase() string {
	d := os.TempDir()
	if st, err := os.Stat(d); err == nil && st.Mode().Perm()&0o001 != 0 {
		return d
	}
	return "/tmp"
}

// workDirName names a run's work dir the way Python's tempfile names the
// TemporaryDirectory BigCodeBench runs in: "tmp" and eight letters or
// digits. Tests see the path (some split it on "-" or "_"), so its shape is
// part of the semantics.
func workDirName(nonce string) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := []byte("tmp")
	for i := 0; i < 8; i++ {
		n, _ := strconv.ParseUint(nonce[2*i:2*i+2], 16, 8)
		b = append(b, alphabet[int(n)%len(alphabet)])
	}
	return string(b)
}

// makeWorkDir creates a private, empty directory for one run under base.
func makeWorkDir(base string) (string, error) {
	dir, err := os.MkdirTemp(base, "tmp")
	if err != nil {
		return "", fmt.Errorf("create work dir: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		os.Remove(dir)
		return "", fmt.Errorf("create work dir: %w", err)
	}
	return dir, nil
}

// removeWorkDir deletes dir and everything in it, including what the
// program made unreadable or unwritable.
func removeWorkDir(dir string) error {
	if dir == "" {
		return nil
	}
	if err := os.RemoveAll(dir); err == nil {
		return nil
	}
	// Give ourselves back the rights the program took away, then retry.
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if d != nil && d.IsDir() {
			os.Chmod(p, 0o700)
		}
		return nil
	})
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove work dir: %w", err)
	}
	return nil
}

// scrubbedEnv is the whole environment of a run: nothing of ours (API keys
// above all) is passed on. home is the work dir; tmp is /tmp where the run
// has a private one (as BigCodeBench's tests expect tempfile to use), the
// work dir otherwise.
func scrubbedEnv(home, tmp string) []string {
	return []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"HOME=" + home,
		"TMPDIR=" + tmp,
		"LANG=C.UTF-8",
		"TZ=UTC",
		"OMP_NUM_THREADS=1",
		"MPLBACKEND=Agg",
		"TF_CPP_MIN_LOG_LEVEL=3",
		"TF_ENABLE_ONEDNN_OPTS=0",
	}
}
