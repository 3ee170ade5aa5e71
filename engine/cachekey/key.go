package cachekey

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// SchemaVersion is the version of the key schema itself: the encoding in
// this package and the set of parts the engine feeds in. Bumping it
// invalidates every key.
const SchemaVersion = "1"

// Key is a cache key: "sha256:" followed by 64 lowercase hex digits.
type Key string

// Digest returns the raw 32 bytes of k.
func (k Key) Digest() ([32]byte, error) {
	var d [32]byte
	s, ok := strings.CutPrefix(string(k), "sha256:")
	if !ok || len(s) != 64 {
		return d, fmt.Errorf("malformed key %q: want sha256:<64 hex digits>", string(k))
	}
	if _, err := hex.Decode(d[:], []byte(s)); err != nil {
		return d, fmt.Errorf("malformed key %q: %w", string(k), err)
	}
	return d, nil
}

// Hex returns the 64 hex digits of k.
func (k Key) Hex() string { return strings.TrimPrefix(string(k), "sha256:") }

// Short returns the first 12 hex digits, for display.
func (k Key) Short() string {
	h := k.Hex()
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// FromDigest builds a Key from raw digest bytes.
func FromDigest(d [32]byte) Key { return Key("sha256:" + hex.EncodeToString(d[:])) }

// Parse checks s and returns it as a Key. A bare 64-digit hex string or a
// unique prefix are not accepted here; see engine/cache for prefix lookup.
func Parse(s string) (Key, error) {
	k := Key(strings.ToLower(strings.TrimSpace(s)))
	if !strings.HasPrefix(string(k), "sha256:") {
		k = "sha256:" + k
	}
	if _, err := k.Digest(); err != nil {
		return "", err
	}
	return k, nil
}

// Sum returns the Key of data hashed as plain bytes (the CAS digest).
func Sum(data []byte) Key { return FromDigest(sha256.Sum256(data)) }
