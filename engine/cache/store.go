package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// Layout directory names. A change of layout means new names and a
// migration, never a silent reinterpretation of old files.
const (
	acDir  = "ac.v1"
	casDir = "cas.v1"
)

// InlineMax is the largest result kept inside its action entry.
const InlineMax = 16 << 10

// Store is an on-disk action cache plus CAS rooted at one directory. It is
// safe for concurrent use by many goroutines and by several processes.
type Store struct {
	root    string
	durable bool
	shards  sync.Map // created shard directories
	ix      *index   // nil when disabled
	lease   *os.File // shared lock held until Close (see Collect)

	hits, misses, corrupt, writes atomic.Int64
}

// Options tune a Store.
type Options struct {
	// NoSync skips fsync before publishing a file. A killed process still
	// never leaves a half-written file visible; only a machine crash can
	// lose recent entries (they are then recomputed).
	NoSync bool
	// NoIndex disables the read index (index.v1/), for tests of the plain
	// per-key layout.
	NoIndex bool
}

// Open creates (if needed) and opens the cache rooted at dir.
func Open(dir string, opt Options) (*Store, error) {
	if dir == "" {
		return nil, errors.New("cache: no directory given")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	for _, d := range []string{acDir, casDir} {
		if err := os.MkdirAll(filepath.Join(abs, d), 0o755); err != nil {
			return nil, fmt.Errorf("cache: cannot create %s: %w", filepath.Join(abs, d), err)
		}
	}
	s := &Store{root: abs, durable: !opt.NoSync}
	if s.lease, err = lease(abs); err != nil {
		return nil, err
	}
	if !opt.NoIndex {
		s.ix = openIndex(abs)
	}
	return s, nil
}

// Close releases the index's files and the lease. The store must not be used afterwards.
func (s *Store) Close() error {
	var err error
	if s.ix != nil {
		err = s.ix.close()
	}
	if s.lease != nil {
		s.lease.Close()
		s.lease = nil
	}
	return err
}

// Root returns the cache directory.
func (s *Store) Root() string { return s.root }

// Location implements Backend: the cache directory.
func (s *Store) Location() string { return s.root }

// Stats are counters since Open. Errors counts reads that failed for
// another reason than absence or damage (a bucket that could not be
// reached); a local directory has none.
type Stats struct{ Hits, Misses, Corrupt, Writes, Errors int64 }

// Stats returns the counters.
func (s *Store) Stats() Stats {
	return Stats{Hits: s.hits.Load(), Misses: s.misses.Load(), Corrupt: s.corrupt.Load(), Writes: s.writes.Load()}
}

func (s *Store) path(kind string, hexd string) string {
	return filepath.Join(s.root, kind, hexd[:2], hexd)
}

func (s *Store) ensureShard(kind, hexd string) (string, error) {
	dir := filepath.Join(s.root, kind, hexd[:2])
	if _, ok := s.shards.Load(dir); ok {
		return dir, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("cache: %w", err)
	}
	s.shards.Store(dir, true)
	return dir, nil
}

// writeFile publishes data at kind/hexd atomically and create-only: when
// the file exists already (another process or goroutine published it
// first), it is left alone and the result is ErrExists.
func (s *Store) writeFile(kind, hexd string, data []byte) error {
	dir, err := s.ensureShard(kind, hexd)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-"+hexd[:8]+"-*")
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if werr == nil && s.durable {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = publish(tmp, filepath.Join(dir, hexd))
	}
	if errors.Is(werr, ErrExists) {
		return werr
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("cache: writing %s: %w", filepath.Join(kind, hexd), werr)
	}
	s.writes.Add(1)
	return nil
}

// publish gives the complete temporary file tmp its final name, unless a
// file has that name already. A hard link is atomic and fails when the
// name exists; on a file system without hard links the rename replaces
// the existing file, which is as safe for readers (they see one whole
// file or the other) but not create-only.
func publish(tmp, final string) error {
	err := os.Link(tmp, final)
	switch {
	case err == nil:
		os.Remove(tmp)
		return nil
	case errors.Is(err, fs.ErrExist):
		os.Remove(tmp)
		return ErrExists
	}
	return os.Rename(tmp, final)
}

// PutBlob stores data in the CAS and returns its digest. Storing bytes
// that are already present is a no-op.
func (s *Store) PutBlob(data []byte) ([32]byte, error) {
	d := sha256.Sum256(data)
	hexd := hex.EncodeToString(d[:])
	if fi, err := os.Stat(s.path(casDir, hexd)); err == nil && fi.Size() == int64(len(data)) {
		return d, nil
	}
	if err := s.writeFile(casDir, hexd, data); err != nil && !errors.Is(err, ErrExists) {
		return d, err
	}
	return d, nil
}

// GetBlob returns the CAS blob with digest d after checking its hash. A
// missing or corrupt blob reports ok == false; a corrupt one is removed.
func (s *Store) GetBlob(d [32]byte) (data []byte, ok bool) {
	p := s.path(casDir, hex.EncodeToString(d[:]))
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, false
	}
	if sha256.Sum256(data) != d {
		s.corrupt.Add(1)
		os.Remove(p)
		return nil, false
	}
	return data, true
}

// HasBlob reports whether a blob of digest d is present (without hashing it).
func (s *Store) HasBlob(d [32]byte) bool {
	_, err := os.Stat(s.path(casDir, hex.EncodeToString(d[:])))
	return err == nil
}

// FindKeys returns the action keys (64 hex digits) that start with prefix,
// for commands that accept an abbreviated key. At most limit are returned.
func (s *Store) FindKeys(prefix string, limit int) ([]string, error) {
	prefix, err := keyPrefix(prefix)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(filepath.Join(s.root, acDir, prefix[:2]))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) && !strings.HasPrefix(e.Name(), ".tmp-") {
			out = append(out, e.Name())
			if len(out) >= limit {
				break
			}
		}
	}
	return out, nil
}

// keyPrefix normalises an abbreviated key: lower case, no "sha256:",
// at least two hex digits.
func keyPrefix(prefix string) (string, error) {
	prefix = strings.ToLower(strings.TrimPrefix(prefix, "sha256:"))
	if len(prefix) < 2 {
		return "", fmt.Errorf("cache: key prefix %q is too short (need at least 2 hex digits)", prefix)
	}
	if _, err := hex.DecodeString(prefix[:2]); err != nil {
		return "", fmt.Errorf("cache: key prefix %q is not hexadecimal", prefix)
	}
	return prefix, nil
}

// readSmallFile reads a whole file with plain system calls: os.ReadFile
// also registers the file with the runtime's poller and stats it, which
// triples the cost of reading a small entry.
func readSmallFile(path string) ([]byte, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	buf := make([]byte, 4096)
	n := 0
	for {
		if n == len(buf) {
			buf = append(buf, make([]byte, len(buf))...)
		}
		m, err := syscall.Read(fd, buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if m == 0 {
			return buf[:n], nil
		}
		n += m
	}
}
