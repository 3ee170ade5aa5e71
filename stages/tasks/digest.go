package tasks

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
)

// canonicalTag opens the canonical form; it names the version of the
// encoding so that a change of the encoding can never collide with an old
// digest.
const canonicalTag = "ccw.tasks.canonical.v1\x00"

// CanonicalDigest returns "sha256:<hex>" of the canonical form of tasks,
// which is independent of the file format and of the order of records:
//
//	"ccw.tasks.canonical.v1\x00"
//	for each task, in dataset order (see below):
//	    for each of the nine FieldNames, in that order:
//	        the field's length in bytes as an 8-byte big-endian integer,
//	        then its UTF-8 bytes
//
// Dataset order sorts ids by the part before the last "/", then by the
// decimal number after it; ids without such a number come after the
// numbered ones of their prefix, by string. Fields other than the nine are
// not part of the form.
func CanonicalDigest(tasks []Task) string {
	sorted := slices.Clone(tasks)
	sortTasks(sorted)
	h := sha256.New()
	h.Write([]byte(canonicalTag))
	var n [8]byte
	for _, t := range sorted {
		for _, name := range FieldNames {
			v := t.Fields[name]
			binary.BigEndian.PutUint64(n[:], uint64(len(v)))
			h.Write(n[:])
			h.Write([]byte(v))
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

var digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// checkDigestSyntax reports whether d looks like a digest CanonicalDigest
// returns.
func checkDigestSyntax(d string) error {
	if !digestPattern.MatchString(d) {
		return fmt.Errorf("digest %q: want \"sha256:\" followed by 64 lower-case hex digits", d)
	}
	return nil
}

// DigestMismatchError is returned when the records of a source do not have
// the digest pinned for it (or given with digest = "...").
type DigestMismatchError struct {
	// What names the data: a file path or a URL.
	What string
	// Split is the BigCodeBench split the data claims to be, if any.
	Split string
	// Expected and Actual are canonical digests.
	Expected, Actual string
	// Pinned is true when Expected is ccw's built-in pin rather than a
	// digest from the configuration.
	Pinned bool
}

func (e *DigestMismatchError) Error() string {
	whose := "the digest given in the tasks block"
	if e.Pinned {
		whose = fmt.Sprintf("ccw's pinned digest of split %q", e.Split)
	}
	return fmt.Sprintf("%s: task records do not match %s\n  expected %s\n  actual   %s\n"+
		"If this data is what you intend to run, set digest = %q in the tasks block.",
		e.What, whose, e.Expected, e.Actual, e.Actual)
}
