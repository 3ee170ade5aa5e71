package cache

import "errors"

// Backend is a cache store the engine reads results from and writes them
// to. There are two: *Store, a directory on this machine (the default),
// and *Remote, a bucket shared by many machines with a local *Store in
// front of it. Both keep the same promises: entries and blobs are
// create-only (the first writer of a key wins, later writers get
// ErrExists and may read the winner), and a hit is verified before it is
// returned (the entry decodes, its checksum holds, its result hashes to
// its digest), so processes that compute the same vertex at once never
// corrupt each other. Implementations are safe for concurrent use.
type Backend interface {
	// Lookup returns the verified entry for key with its result in Data.
	// A missing or damaged entry is a miss (ok == false, err == nil); err
	// is for a store that could not be read at all (a bucket out of
	// reach), which a caller should not take for a miss when a miss costs
	// money.
	Lookup(key [32]byte) (e Entry, ok bool, err error)
	// Put records result under key, create-only: ErrExists when key has
	// an entry already.
	Put(key [32]byte, typ string, result []byte, explain [32]byte) error
	// Has reports whether key has an entry, without verifying it (plans).
	Has(key [32]byte) bool
	// PutBlob stores data in the CAS and returns its digest; storing what
	// is there already is a no-op.
	PutBlob(data []byte) ([32]byte, error)
	// GetBlob returns the verified blob of digest d.
	GetBlob(d [32]byte) ([]byte, bool)
	// HasBlob reports whether a blob of digest d exists (not verified).
	HasBlob(d [32]byte) bool
	// FindKeys returns up to limit action keys (64 hex digits) that start
	// with prefix (at least 2 hex digits).
	FindKeys(prefix string, limit int) ([]string, error)
	// Location names the store for people: a directory, or a bucket URL
	// without credentials.
	Location() string
	// Stats returns counters since the store was opened.
	Stats() Stats
	// Close releases what the store holds open.
	Close() error
}

// ErrExists is returned by Put when the key has an entry already: the
// entry is create-only, and the one written first stays.
var ErrExists = errors.New("cache: entry exists")

var (
	_ Backend = (*Store)(nil)
	_ Backend = (*Remote)(nil)
)
