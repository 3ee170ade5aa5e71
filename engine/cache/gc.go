package cache

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Collection and leases. Every Store holds a shared flock on the cache's
// lock file from Open to Close; Collect takes it exclusively, so it never
// deletes what a running ccw process may read, and a process that opens
// the cache while a collection runs waits for it to finish.

// lockName is the lock file under the cache root.
const lockName = "lock"

// ErrInUse says another process has the cache open.
var ErrInUse = errors.New("the cache is in use by another ccw process (a run or plan): collection deletes nothing while one is open; try again when it has finished")

// lease takes the shared lock of the cache at root, waiting while a
// collection holds it exclusively.
func lease(root string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(root, lockName), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_SH)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("cache: locking %s: %w", f.Name(), err)
	}
	return f, nil
}

// EntryInfo describes one action entry.
type EntryInfo struct {
	Key     [32]byte
	Type    string // empty for an entry that does not decode
	Created time.Time
	Size    int64 // result bytes
	Disk    int64 // bytes on disk: the entry file, plus its result blob if not inline
	Inline  bool
	Result  [32]byte // the result blob (when not inline)
	Explain [32]byte // zero if none
}

// BlobInfo describes one CAS blob.
type BlobInfo struct {
	Digest   [32]byte
	Size     int64
	Modified time.Time
}

// Walk calls fn for every action entry, in no particular order.
func (s *Store) Walk(fn func(EntryInfo) error) error {
	return walkDir(filepath.Join(s.root, acDir), func(d [32]byte, path string, fi fs.FileInfo) error {
		info := EntryInfo{Key: d, Disk: fi.Size(), Created: fi.ModTime()}
		if raw, err := readSmallFile(path); err == nil {
			if e, inline, err := decodeEntry(raw); err == nil {
				info.Type, info.Created, info.Size, info.Inline, info.Explain = e.Type, e.Created, e.Size, inline, e.Explain
				if !inline {
					info.Result = e.Result
					info.Disk += e.Size
				}
			}
		}
		return fn(info)
	})
}

// WalkBlobs calls fn for every CAS blob, in no particular order.
func (s *Store) WalkBlobs(fn func(BlobInfo) error) error {
	return walkDir(filepath.Join(s.root, casDir), func(d [32]byte, _ string, fi fs.FileInfo) error {
		return fn(BlobInfo{Digest: d, Size: fi.Size(), Modified: fi.ModTime()})
	})
}

// walkDir visits the files of a sharded directory whose names are
// digests; temporary files and other names are skipped.
func walkDir(dir string, fn func(d [32]byte, path string, fi fs.FileInfo) error) error {
	shards, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	for _, sh := range shards {
		if !sh.IsDir() {
			continue
		}
		files, err := os.ReadDir(filepath.Join(dir, sh.Name()))
		if err != nil {
			return fmt.Errorf("cache: %w", err)
		}
		for _, f := range files {
			var d [32]byte
			if n, err := hex.Decode(d[:], []byte(f.Name())); err != nil || n != 32 || len(f.Name()) != 64 {
				continue
			}
			fi, err := f.Info()
			if err != nil {
				continue // removed meanwhile
			}
			if err := fn(d, filepath.Join(dir, sh.Name(), f.Name()), fi); err != nil {
				return err
			}
		}
	}
	return nil
}

// GCOptions say what a collection keeps.
type GCOptions struct {
	// Keep reports whether an entry is still needed.
	Keep func(EntryInfo) bool
	// Since keeps every entry and blob written at or after it (zero keeps
	// nothing by age). A collection also keeps what was written after it
	// started.
	Since time.Time
	// DryRun deletes nothing; the report says what would go.
	DryRun bool
}

// GCReport counts what a collection kept and freed.
type GCReport struct {
	Entries, EntriesFreed int
	Blobs, BlobsFreed     int
	Bytes, BytesFreed     int64 // entries' files and blobs
	TempFiles             int   // left by killed writers, removed
	IndexBytes            int64 // the read index, removed (it is rebuilt as entries are read)
}

// Collect deletes the entries opt.Keep does not keep, the blobs no kept
// entry references, temporary files and the read index, in the cache at
// dir. It fails with ErrInUse, deleting nothing, while any Store of any
// process has the cache open.
func Collect(dir string, opt GCOptions) (GCReport, error) {
	var rep GCReport
	root, err := filepath.Abs(dir)
	if err != nil {
		return rep, fmt.Errorf("cache: %w", err)
	}
	if _, err := os.Stat(filepath.Join(root, acDir)); err != nil {
		return rep, fmt.Errorf("cache: %s is not a ccw cache (no %s)", root, acDir)
	}
	lock, err := os.OpenFile(filepath.Join(root, lockName), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return rep, fmt.Errorf("cache: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return rep, ErrInUse
		}
		return rep, fmt.Errorf("cache: locking %s: %w", lock.Name(), err)
	}
	started := time.Now()
	young := func(t time.Time) bool {
		return (!opt.Since.IsZero() && !t.Before(opt.Since)) || !t.Before(started.Add(-time.Second))
	}
	s := &Store{root: root} // no index, no lease: we hold the lock
	keepBlob := map[[32]byte]bool{}
	var drop []string
	err = s.Walk(func(e EntryInfo) error {
		rep.Entries++
		if young(e.Created) || (opt.Keep != nil && e.Type != "" && opt.Keep(e)) {
			if !e.Inline {
				keepBlob[e.Result] = true
			}
			if e.Explain != ([32]byte{}) {
				keepBlob[e.Explain] = true
			}
			rep.Bytes += e.Disk - sizeIf(!e.Inline, e.Size)
			return nil
		}
		rep.EntriesFreed++
		entryFile := e.Disk - sizeIf(!e.Inline, e.Size)
		rep.Bytes += entryFile
		rep.BytesFreed += entryFile
		drop = append(drop, s.path(acDir, hex.EncodeToString(e.Key[:])))
		return nil
	})
	if err != nil {
		return rep, err
	}
	err = s.WalkBlobs(func(b BlobInfo) error {
		rep.Blobs++
		rep.Bytes += b.Size
		if keepBlob[b.Digest] || young(b.Modified) {
			return nil
		}
		rep.BlobsFreed++
		rep.BytesFreed += b.Size
		drop = append(drop, s.path(casDir, hex.EncodeToString(b.Digest[:])))
		return nil
	})
	if err != nil {
		return rep, err
	}
	for _, d := range []string{acDir, casDir} {
		tmps, _ := filepath.Glob(filepath.Join(root, d, "*", ".tmp-*"))
		rep.TempFiles += len(tmps)
		drop = append(drop, tmps...)
	}
	ixFiles, _ := filepath.Glob(filepath.Join(root, indexDir, "*"))
	for _, f := range ixFiles {
		if fi, err := os.Stat(f); err == nil {
			rep.IndexBytes += fi.Size()
		}
	}
	if opt.DryRun {
		return rep, nil
	}
	var errs []error
	for _, p := range drop {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	// The index may name dropped entries; nobody has it open.
	if err := os.RemoveAll(filepath.Join(root, indexDir)); err != nil {
		errs = append(errs, err)
	}
	return rep, errors.Join(errs...)
}

func sizeIf(b bool, n int64) int64 {
	if b {
		return n
	}
	return 0
}
