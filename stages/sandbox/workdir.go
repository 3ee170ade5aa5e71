package sandbox

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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

// makeWorkDir creates a private, empty directory for one run under base
// (os.TempDir() when empty).
func makeWorkDir(base string) (string, error) {
	dir, err := os.MkdirTemp(base, "ccw-run-")
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
// above all) is passed on.
func scrubbedEnv(home string) []string {
	return []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"HOME=" + home,
		"TMPDIR=" + home,
		"LANG=C.UTF-8",
		"TZ=UTC",
		"OMP_NUM_THREADS=1",
		"MPLBACKEND=Agg",
		"TF_CPP_MIN_LOG_LEVEL=3",
		"TF_ENABLE_ONEDNN_OPTS=0",
	}
}
