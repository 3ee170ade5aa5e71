package tasks

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"sort"
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

// Error implements error.
func (e *DigestMismatchError) Error() string {
	whose := "the digest given in the tasks block"
	if e.Pinned {
		whose = fmt.Sprintf("ccw's pinned digest of split %q", e.Split)
	}
	return fmt.Sprintf("%s: task records do not match %s\n  expected %s\n  actual   %s\n"+
		"If this data is what you intend to run, set digest = %q in the tasks block.",
		e.What, whose, e.Expected, e.Actual, e.Actual)
}

// pins maps a BigCodeBench split to the canonical digest (CanonicalDigest)
// of its 1140 records. Computed here from shared/data/bigcodebench:
//
//   - v0.1.0_hf: BigCodeBench-v0.1.0_hf.jsonl.gz, a byte copy of
//     hf_data/BigCodeBench.jsonl.gz of bigcode-project/bigcodebench-annotation,
//     checked equal in content to the Hugging Face split.
//   - v0.1.4: BigCodeBench-v0.1.4-derived.jsonl.gz, which was DERIVED from
//     v0.1.0_hf by re-applying the maintainers' documented per-task edits
//     (tools/fix_*.py), not copied from the published split; the edit of
//     task 215 could not be confirmed independently. If the published
//     v0.1.4 file differs, loading it fails with a digest mismatch; set
//     digest = "sha256:..." in the tasks block to accept it.
//
// A test recomputes both from the shared files; a few lines of Python
// (sort by number, sha256 over the tag and the length-prefixed fields)
// give the same digests, which is how the form was checked independently.
var pins = map[string]string{
	"v0.1.0_hf": "sha256:1efd7ff660e38d00dc3971bc88cf435a6591233632e8c4f826c271bcec8e2020",
	"v0.1.4":    "sha256:3d6ed71484c2a1671bdcab06b5f7b9b0b721001ee1853db59eb601cd8e85e197",
}

// PinnedDigest returns ccw's pinned canonical digest of a BigCodeBench
// split, if it has one.
func PinnedDigest(split string) (string, bool) {
	d, ok := pins[split]
	return d, ok
}

// pinnedSplits lists the pinned split names, sorted.
func pinnedSplits() []string {
	out := make([]string, 0, len(pins))
	for s := range pins {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
