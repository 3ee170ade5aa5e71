package tasks

import (
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestPinnedSplitsAcrossFormats computes the canonical digest of each
// shared split as jsonl.gz, as plain jsonl and as a Parquet copy written
// with arrow-go: all three must equal each other and ccw's pin.
func TestPinnedSplitsAcrossFormats(t *testing.T) {
	for split, file := range map[string]string{
		"v0.1.0_hf": "BigCodeBench-v0.1.0_hf.jsonl.gz",
		"v0.1.4":    "BigCodeBench-v0.1.4-derived.jsonl.gz",
	} {
		t.Run(split, func(t *testing.T) {
			src := sharedSplit(t, file)
			pin, ok := PinnedDigest(split)
			if !ok {
				t.Fatalf("no pin for %s", split)
			}
			dir := t.TempDir()
			gz, err := ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			if len(gz) != 1140 {
				t.Fatalf("%d records, want 1140", len(gz))
			}
			plain := filepath.Join(dir, "copy.jsonl")
			gunzip(t, src, plain)
			pq := filepath.Join(dir, "copy.parquet")
			writeParquet(t, pq, taskColumns(gz))

			for _, path := range []string{src, plain, pq} {
				tasks, err := ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if got := CanonicalDigest(tasks); got != pin {
					t.Errorf("%s: digest %s, want the pin %s", filepath.Base(path), got, pin)
				}
			}
		})
	}
}

func gunzip(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
}

// TestCanonicalDigestFrozen pins the canonical form itself: a change of
// the encoding must be deliberate (and renamed: canonicalTag). The value
// was computed independently with Python's hashlib and struct.
func TestCanonicalDigestFrozen(t *testing.T) {
	tasks := makeTasks("Frozen", 3)
	const want = "sha256:9b09f33e311407c26307050dec424f8fedd51dd52967ab59f56caf90643c16ac"
	if got := CanonicalDigest(tasks); got != want {
		t.Fatalf("CanonicalDigest = %s, want %s", got, want)
	}
}

func TestCanonicalDigestProperties(t *testing.T) {
	base := makeTasks("X", 12)
	digest := CanonicalDigest(base)

	shuffled := slices.Clone(base)
	slices.Reverse(shuffled)
	shuffled[0], shuffled[5] = shuffled[5], shuffled[0]
	if got := CanonicalDigest(shuffled); got != digest {
		t.Errorf("record order changed the digest: %s vs %s", got, digest)
	}

	extra := clone(base)
	extra[3].Fields["q_idx"] = "7"
	if got := CanonicalDigest(extra); got != digest {
		t.Errorf("a field outside the nine changed the digest")
	}

	changes := map[string]func([]Task){
		"one byte of a test": func(ts []Task) { ts[4].Fields["test"] += " " },
		"moved bytes between fields": func(ts []Task) {
			ts[2].Fields["code_prompt"] += "x"
			ts[2].Fields["test"] = ts[2].Fields["test"][1:]
		},
		"a record fewer": nil,
	}
	for name, change := range changes {
		ts := clone(base)
		if change == nil {
			ts = ts[1:]
		} else {
			change(ts)
		}
		if CanonicalDigest(ts) == digest {
			t.Errorf("%s: digest unchanged", name)
		}
	}
}

func clone(ts []Task) []Task {
	out := make([]Task, len(ts))
	for i, t := range ts {
		out[i] = Task{ID: t.ID, Fields: map[string]string{}}
		for k, v := range t.Fields {
			out[i].Fields[k] = v
		}
	}
	return out
}

func TestCompareIDs(t *testing.T) {
	ids := []string{"BigCodeBench/10", "A/x", "BigCodeBench/9", "BigCodeBench/abc", "BigCodeBench/0",
		"BigCodeBench/007", "CCWMini/2", "BigCodeBench/1139", "plain", "BigCodeBench/"}
	// "plain" has the empty prefix, which sorts first.
	want := []string{"plain", "A/x", "BigCodeBench/0", "BigCodeBench/9", "BigCodeBench/10", "BigCodeBench/1139",
		"BigCodeBench/", "BigCodeBench/007", "BigCodeBench/abc", "CCWMini/2"}
	slices.SortFunc(ids, compareIDs)
	if !slices.Equal(ids, want) {
		t.Fatalf("sorted = %q\nwant     %q", ids, want)
	}
}

func asMismatch(err error, target **DigestMismatchError) bool {
	return err != nil && errors.As(err, target)
}
