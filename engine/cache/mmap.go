package cache

import (
	"os"
	"syscall"
)

// mapFile maps a segment read-only; nil when it cannot (the index then
// reads with pread). Segments are append-only and never truncated, only
// removed whole, which leaves existing mappings valid.
func mapFile(f *os.File) []byte {
	st, err := f.Stat()
	if err != nil || st.Size() == 0 || st.Size() > 1<<40 {
		return nil
	}
	m, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil
	}
	return m
}

func unmapFile(m []byte) {
	if m != nil {
		_ = syscall.Munmap(m)
	}
}
