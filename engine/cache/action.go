package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"os"
	"time"
)

var entryMagic = []byte("ccwac\x01")

// Entry is what the action cache holds for one key.
type Entry struct {
	// Type is the versioned stage type that produced the result.
	Type string
	// Result is the sha256 of the result bytes; Size their length.
	Result [32]byte
	Size   int64
	// Explain is the CAS digest of the key's explain record (zero if none).
	Explain [32]byte
	// Created is when the entry was written.
	Created time.Time
	// Data holds the result bytes: inline ones on read, or those loaded
	// from the CAS by GetResult.
	Data []byte
}

// HasExplain reports whether the entry references an explain record.
func (e Entry) HasExplain() bool { return e.Explain != [32]byte{} }

func encodeEntry(e Entry, inline bool) []byte {
	b := make([]byte, 0, 128+len(e.Data))
	b = append(b, entryMagic...)
	b = binary.AppendUvarint(b, uint64(len(e.Type)))
	b = append(b, e.Type...)
	b = append(b, e.Result[:]...)
	b = binary.AppendUvarint(b, uint64(e.Size))
	b = append(b, e.Explain[:]...)
	b = binary.AppendVarint(b, e.Created.Unix())
	if inline {
		b = append(b, 1)
		b = append(b, e.Data...)
	} else {
		b = append(b, 0)
	}
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

var errBadEntry = errors.New("malformed action entry")

func decodeEntry(b []byte) (e Entry, inline bool, err error) {
	if len(b) < len(entryMagic)+4 || !bytes.HasPrefix(b, entryMagic) {
		return e, false, errBadEntry
	}
	body, sum := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return e, false, errBadEntry
	}
	r := body[len(entryMagic):]
	n, k := binary.Uvarint(r)
	if k <= 0 || uint64(len(r)-k) < n {
		return e, false, errBadEntry
	}
	e.Type, r = string(r[k:k+int(n)]), r[k+int(n):]
	if len(r) < 32 {
		return e, false, errBadEntry
	}
	copy(e.Result[:], r[:32])
	r = r[32:]
	size, k := binary.Uvarint(r)
	if k <= 0 || len(r)-k < 32 {
		return e, false, errBadEntry
	}
	e.Size, r = int64(size), r[k:]
	copy(e.Explain[:], r[:32])
	r = r[32:]
	created, k := binary.Varint(r)
	if k <= 0 || len(r) == k {
		return e, false, errBadEntry
	}
	e.Created, r = time.Unix(created, 0).UTC(), r[k:]
	inline, r = r[0] == 1, r[1:]
	if inline {
		if int64(len(r)) != e.Size {
			return e, false, errBadEntry
		}
		e.Data = r
	} else if len(r) != 0 {
		return e, false, errBadEntry
	}
	return e, inline, nil
}

// Put records result under key: inline when small, otherwise through the
// CAS (blob first, entry second, so an entry never names a missing blob).
// Entries are create-only: when key has an entry already, it is kept and
// Put returns ErrExists (the caller may read the entry that won).
func (s *Store) Put(key [32]byte, typ string, result []byte, explain [32]byte) error {
	raw, inline := newEntry(typ, result, explain)
	if !inline {
		if _, err := s.PutBlob(result); err != nil {
			return err
		}
	}
	return s.putRaw(key, raw)
}

// newEntry encodes the entry of a new result; inline says whether the
// result is inside it (otherwise it belongs in the CAS).
func newEntry(typ string, result []byte, explain [32]byte) (raw []byte, inline bool) {
	e := Entry{Type: typ, Result: sha256.Sum256(result), Size: int64(len(result)), Explain: explain, Created: time.Now(), Data: result}
	inline = len(result) <= InlineMax
	return encodeEntry(e, inline), inline
}

// putRaw publishes an encoded entry whose blob (if any) is stored.
func (s *Store) putRaw(key [32]byte, raw []byte) error {
	if err := s.writeFile(acDir, hex.EncodeToString(key[:]), raw); err != nil {
		return err
	}
	if s.ix != nil {
		s.ix.add(key, raw)
	}
	return nil
}

// Lookup implements Backend: Get, which never fails for other reasons
// than absence or damage.
func (s *Store) Lookup(key [32]byte) (Entry, bool, error) {
	e, ok := s.Get(key)
	return e, ok, nil
}

// Get returns the verified entry for key with its result bytes in Data.
// Any inconsistency (unreadable or malformed entry, missing or corrupt
// result) is a miss; broken entries are removed so they are recomputed.
func (s *Store) Get(key [32]byte) (Entry, bool) {
	if s.ix != nil {
		if raw, ok := s.ix.get(key); ok {
			if e, err := s.verify(raw); err == nil {
				s.hits.Add(1)
				return e, true
			}
			s.ix.forget(key) // fall back to the entry's own file
		}
	}
	p := s.path(acDir, hex.EncodeToString(key[:]))
	raw, err := readSmallFile(p)
	if err != nil {
		s.misses.Add(1)
		return Entry{}, false
	}
	e, err := s.verify(raw)
	if err != nil {
		s.corrupt.Add(1)
		s.misses.Add(1)
		os.Remove(p)
		return Entry{}, false
	}
	if s.ix != nil {
		s.ix.add(key, raw)
	}
	s.hits.Add(1)
	return e, true
}

// verify decodes an encoded entry and checks its result.
func (s *Store) verify(raw []byte) (Entry, error) {
	e, inline, err := decodeEntry(raw)
	if err == nil && inline && sha256.Sum256(e.Data) != e.Result {
		err = errBadEntry
	}
	if err == nil && !inline {
		data, ok := s.GetBlob(e.Result)
		if !ok || int64(len(data)) != e.Size {
			err = errBadEntry
		}
		e.Data = data
	}
	return e, err
}

// Has reports whether key has an entry, without verifying it (for plans).
func (s *Store) Has(key [32]byte) bool {
	_, err := os.Stat(s.path(acDir, hex.EncodeToString(key[:])))
	return err == nil
}
