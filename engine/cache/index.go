package cache

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
)

// The index is an accelerator, never the source of truth: it lets a walk
// that hits the cache for hundreds of thousands of keys read each entry
// with one pread from an already open file instead of an open/read/close
// of its own file (which costs tens of microseconds on virtual disks and
// milliseconds on network file systems). Deleting index.v1/ loses nothing.
//
// Layout: index.v1/<segment>.dat holds encoded entries back to back;
// index.v1/<segment>.idx holds one fixed-size record per entry: the key,
// the offset and length in .dat, and a CRC of the record. Each process
// appends to a segment of its own, holding an exclusive flock on its .idx;
// a record is appended only after its data, so a torn write leaves at most
// an unindexed tail. Entries read through the index are verified exactly
// as entries read from their own files.
const (
	indexDir   = "index.v1"
	recordSize = 32 + 8 + 4 + 4
	// compactAbove is the number of segments above which Open merges the
	// inactive ones.
	compactAbove = 16
)

type location struct {
	seg int32
	off int64
	n   int32
}

type index struct {
	dir string

	mu    sync.RWMutex
	locs  map[[32]byte]location
	segs  []*os.File // .dat files, by segment number
	maps  [][]byte   // read-only mappings of the segments loaded at open (nil for ours)
	own   int32      // our segment number, -1 until the first append
	dat   *os.File
	idx   *os.File
	off   int64
	wmu   sync.Mutex
	wrerr error
}

func openIndex(root string) *index {
	ix := &index{dir: filepath.Join(root, indexDir), locs: map[[32]byte]location{}, own: -1}
	if err := os.MkdirAll(ix.dir, 0o755); err != nil {
		ix.wrerr = err
		return ix
	}
	names := ix.segmentNames()
	if len(names) > compactAbove {
		ix.compact(names)
		names = ix.segmentNames()
	}
	for _, name := range names {
		ix.load(name)
	}
	return ix
}

func (ix *index) segmentNames() []string {
	paths, _ := filepath.Glob(filepath.Join(ix.dir, "*.idx"))
	var out []string
	for _, p := range paths {
		out = append(out, strings.TrimSuffix(filepath.Base(p), ".idx"))
	}
	sort.Strings(out)
	return out
}

// load reads one segment's records into the map.
func (ix *index) load(name string) {
	recs, err := os.ReadFile(filepath.Join(ix.dir, name+".idx"))
	if err != nil {
		return
	}
	dat, err := os.Open(filepath.Join(ix.dir, name+".dat"))
	if err != nil {
		return
	}
	seg := int32(len(ix.segs))
	ix.segs = append(ix.segs, dat)
	ix.maps = append(ix.maps, mapFile(dat))
	for len(recs) >= recordSize {
		var key [32]byte
		copy(key[:], recs[:32])
		off := int64(binary.LittleEndian.Uint64(recs[32:40]))
		n := int32(binary.LittleEndian.Uint32(recs[40:44]))
		if crc32.ChecksumIEEE(recs[:44]) != binary.LittleEndian.Uint32(recs[44:48]) {
			break // a torn tail: everything before it is good
		}
		ix.locs[key] = location{seg: seg, off: off, n: n}
		recs = recs[recordSize:]
	}
}

// get returns the raw entry bytes indexed under key.
func (ix *index) get(key [32]byte) ([]byte, bool) {
	ix.mu.RLock()
	loc, ok := ix.locs[key]
	var f *os.File
	var m []byte
	if ok {
		f, m = ix.segs[loc.seg], ix.maps[loc.seg]
	}
	ix.mu.RUnlock()
	if !ok {
		return nil, false
	}
	buf := make([]byte, loc.n)
	if end := loc.off + int64(loc.n); end <= int64(len(m)) {
		copy(buf, m[loc.off:end]) // no system call: this is what makes a cached walk fast
		return buf, true
	}
	if _, err := f.ReadAt(buf, loc.off); err != nil {
		return nil, false
	}
	return buf, true
}

// forget drops key, after its indexed entry failed verification.
func (ix *index) forget(key [32]byte) {
	ix.mu.Lock()
	delete(ix.locs, key)
	ix.mu.Unlock()
}

// add appends an encoded entry to this process's segment. Errors only
// disable the index; the store keeps working without it.
func (ix *index) add(key [32]byte, entry []byte) {
	ix.wmu.Lock()
	defer ix.wmu.Unlock()
	if ix.wrerr != nil {
		return
	}
	if ix.dat == nil {
		if err := ix.create(); err != nil {
			ix.wrerr = err
			return
		}
	}
	if _, err := ix.dat.Write(entry); err != nil {
		ix.wrerr = err
		return
	}
	var rec [recordSize]byte
	copy(rec[:32], key[:])
	binary.LittleEndian.PutUint64(rec[32:40], uint64(ix.off))
	binary.LittleEndian.PutUint32(rec[40:44], uint32(len(entry)))
	binary.LittleEndian.PutUint32(rec[44:48], crc32.ChecksumIEEE(rec[:44]))
	if _, err := ix.idx.Write(rec[:]); err != nil {
		ix.wrerr = err
		return
	}
	ix.mu.Lock()
	ix.locs[key] = location{seg: ix.own, off: ix.off, n: int32(len(entry))}
	ix.mu.Unlock()
	ix.off += int64(len(entry))
}

func (ix *index) create() error {
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	name := fmt.Sprintf("%d-%s", os.Getpid(), hex.EncodeToString(rnd[:]))
	dat, err := os.OpenFile(filepath.Join(ix.dir, name+".dat"), os.O_CREATE|os.O_EXCL|os.O_RDWR|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	idx, err := os.OpenFile(filepath.Join(ix.dir, name+".idx"), os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		dat.Close()
		return err
	}
	_ = syscall.Flock(int(idx.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) // marks the segment live
	ix.dat, ix.idx = dat, idx
	ix.mu.Lock()
	ix.own = int32(len(ix.segs))
	ix.segs = append(ix.segs, dat)
	ix.maps = append(ix.maps, nil) // still growing: read with pread
	ix.mu.Unlock()
	return nil
}

// compact merges the segments no live process writes to into one.
func (ix *index) compact(names []string) {
	type rec struct {
		key  [32]byte
		data []byte
	}
	var merged []rec
	var done []string
	seen := map[[32]byte]int{}
	for _, name := range names {
		f, err := os.Open(filepath.Join(ix.dir, name+".idx"))
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
			f.Close() // a live writer
			continue
		}
		recs, _ := io.ReadAll(f)
		dat, err := os.ReadFile(filepath.Join(ix.dir, name+".dat"))
		f.Close()
		if err != nil {
			continue
		}
		for len(recs) >= recordSize {
			if crc32.ChecksumIEEE(recs[:44]) != binary.LittleEndian.Uint32(recs[44:48]) {
				break
			}
			var key [32]byte
			copy(key[:], recs[:32])
			off := int64(binary.LittleEndian.Uint64(recs[32:40]))
			n := int64(binary.LittleEndian.Uint32(recs[40:44]))
			if off+n <= int64(len(dat)) {
				r := rec{key: key, data: dat[off : off+n]}
				if i, ok := seen[key]; ok {
					merged[i] = r
				} else {
					seen[key] = len(merged)
					merged = append(merged, r)
				}
			}
			recs = recs[recordSize:]
		}
		done = append(done, name)
	}
	if len(done) < 2 {
		return
	}
	tmp := &index{dir: ix.dir, locs: map[[32]byte]location{}}
	if err := tmp.create(); err != nil {
		return
	}
	for _, r := range merged {
		tmp.add(r.key, r.data)
	}
	if tmp.wrerr != nil || tmp.dat.Sync() != nil || tmp.idx.Sync() != nil {
		tmp.close()
		return
	}
	tmp.close()
	for _, name := range done {
		os.Remove(filepath.Join(ix.dir, name+".idx"))
		os.Remove(filepath.Join(ix.dir, name+".dat"))
	}
}

func (ix *index) close() error {
	ix.wmu.Lock()
	defer ix.wmu.Unlock()
	var errs []error
	if ix.idx != nil {
		errs = append(errs, ix.idx.Close())
	}
	ix.mu.Lock()
	for _, f := range ix.segs {
		errs = append(errs, f.Close())
	}
	for _, m := range ix.maps {
		unmapFile(m)
	}
	ix.segs, ix.maps = nil, nil
	ix.locs = map[[32]byte]location{}
	ix.mu.Unlock()
	ix.dat, ix.idx = nil, nil
	return errors.Join(errs...)
}
