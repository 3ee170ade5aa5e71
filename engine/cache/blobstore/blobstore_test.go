package blobstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gocloud.dev/blob"

	"github.com/ccw-dev/ccw/engine/cache"
	"github.com/ccw-dev/ccw/internal/s3test"
)

func key(s string) [32]byte { return sha256.Sum256([]byte(s)) }

// backendCase opens two Backends on one shared store, as two shards on two
// machines would (each with its own local directory), and can damage an
// object of the shared store behind their back.
type backendCase struct {
	name string
	// atomic says the store's create-only write is atomic. versitygw's
	// posix backend checks the precondition, then writes: two writers in
	// the same instant may both succeed, the last one staying whole.
	atomic bool
	open   func(t *testing.T) (a, b cache.Backend, damage func(name string, data []byte))
}

func openAt(t *testing.T, location string) cache.Backend {
	t.Helper()
	c, err := Open(context.Background(), location, Options{Local: t.TempDir(), Cache: cache.Options{NoSync: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// rewriter replaces objects through the bucket itself.
func rewriter(t *testing.T, location string) func(string, []byte) {
	return func(name string, data []byte) {
		b, err := blob.OpenBucket(context.Background(), location)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if err := b.WriteAll(context.Background(), name, data, nil); err != nil {
			t.Fatal(err)
		}
	}
}

func backends() []backendCase {
	return []backendCase{
		{"directory", true, func(t *testing.T) (cache.Backend, cache.Backend, func(string, []byte)) {
			dir := t.TempDir()
			return openAt(t, dir), openAt(t, dir), func(name string, data []byte) {
				if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"fileblob", true, func(t *testing.T) (cache.Backend, cache.Backend, func(string, []byte)) {
			loc := "file://" + t.TempDir() + "?prefix=ccw/"
			return openAt(t, loc), openAt(t, loc), rewriter(t, loc)
		}},
		{"versitygw", false, func(t *testing.T) (cache.Backend, cache.Backend, func(string, []byte)) {
			s := s3test.Start(t)
			s.SetEnv(t)
			loc := s.URL("team/cache")
			return openAt(t, loc), openAt(t, loc), rewriter(t, loc)
		}},
	}
}

func TestSharedStore(t *testing.T) {
	big := bytes.Repeat([]byte("b"), cache.InlineMax+100)
	for _, bc := range backends() {
		t.Run(bc.name, func(t *testing.T) {
			a, b, damage := bc.open(t)

			t.Run("put on one, hit on the other", func(t *testing.T) {
				for name, data := range map[string][]byte{"small": []byte(`{"ok":true}`), "large": big} {
					k := key(name)
					if _, ok, err := b.Lookup(k); ok || err != nil {
						t.Fatalf("%s: hit or error before put: %v", name, err)
					}
					if err := a.Put(k, "ccw.test.v1", data, key("explain")); err != nil {
						t.Fatal(err)
					}
					e, ok, err := b.Lookup(k)
					if err != nil || !ok || !bytes.Equal(e.Data, data) || e.Type != "ccw.test.v1" || e.Explain != key("explain") {
						t.Fatalf("%s: lookup on the other = %v %v (%d bytes)", name, ok, err, len(e.Data))
					}
					if !b.Has(k) || !b.HasBlob(sha256.Sum256(data)) && len(data) > cache.InlineMax {
						t.Fatalf("%s: Has/HasBlob false after put", name)
					}
				}
			})

			t.Run("create-only: the first writer wins", func(t *testing.T) {
				k := key("race")
				var wg sync.WaitGroup
				results := make([]error, 8)
				for i := range results {
					wg.Add(1)
					go func() {
						defer wg.Done()
						writer := a
						if i%2 == 1 {
							writer = b
						}
						results[i] = writer.Put(k, "t", []byte(fmt.Sprintf("result of writer %d", i)), [32]byte{})
					}()
				}
				wg.Wait()
				var won []int
				for i, err := range results {
					switch {
					case err == nil:
						won = append(won, i)
					case !errors.Is(err, cache.ErrExists):
						t.Fatalf("writer %d: %v", i, err)
					}
				}
				if len(won) == 0 || bc.atomic && len(won) > 1 {
					t.Fatalf("writers %v created the entry, want exactly one", won)
				}
				written := map[string]bool{}
				for _, i := range won {
					written[fmt.Sprintf("result of writer %d", i)] = true
				}
				for _, c := range []cache.Backend{a, b} {
					e, ok, err := c.Lookup(k)
					if err != nil || !ok || !written[string(e.Data)] {
						t.Fatalf("lookup = %q %v %v, want what a winner %v wrote", e.Data, ok, err, won)
					}
					if len(won) == 1 && string(e.Data) != fmt.Sprintf("result of writer %d", won[0]) {
						t.Fatalf("lookup = %q, want the winner's", e.Data)
					}
				}
				// Once the race is over, every later put finds the entry
				// (on a backend without conditional writes too: the race
				// is the only window).
				for i, c := range []cache.Backend{a, b} {
					before, _, _ := c.Lookup(k)
					if err := c.Put(k, "t", []byte("a later result"), [32]byte{}); !errors.Is(err, cache.ErrExists) {
						t.Fatalf("a later put on store %d: %v, want ErrExists", i, err)
					}
					if after, _, _ := c.Lookup(k); !bytes.Equal(after.Data, before.Data) {
						t.Fatalf("a later put on store %d replaced %q with %q", i, before.Data, after.Data)
					}
				}
			})

			t.Run("damage is a miss and heals", func(t *testing.T) {
				k := key("damaged")
				big := bytes.Repeat([]byte("d"), cache.InlineMax+200) // a blob b has never read
				if err := a.Put(k, "t", big, [32]byte{}); err != nil {
					t.Fatal(err)
				}
				d := sha256.Sum256(big)
				damaged := append([]byte(nil), big...)
				damaged[10] ^= 0xff
				damage("cas.v1/"+hex.EncodeToString(d[:1])+"/"+hex.EncodeToString(d[:]), damaged)
				fresh := b // b has never read it: its local copy cannot hide the damage
				if _, ok, err := fresh.Lookup(k); ok || err != nil {
					t.Fatalf("damaged blob: ok=%v err=%v", ok, err)
				}
				if fresh.Stats().Corrupt == 0 {
					t.Fatal("damage not counted")
				}
				if err := fresh.Put(k, "t", big, [32]byte{}); err != nil {
					t.Fatalf("recomputing after damage: %v", err)
				}
				if e, ok, _ := fresh.Lookup(k); !ok || !bytes.Equal(e.Data, big) {
					t.Fatal("not healed")
				}
			})

			t.Run("find keys", func(t *testing.T) {
				k := key("small")
				h := hex.EncodeToString(k[:])
				got, err := b.FindKeys("sha256:"+h[:8], 5)
				if err != nil || len(got) != 1 || got[0] != h {
					t.Fatalf("FindKeys = %v, %v", got, err)
				}
			})
		})
	}
}

// TestReadThrough: a second lookup on the same machine reads no object,
// and a bucket out of reach is an error, not a miss (a miss would pay for
// the model call again).
func TestReadThrough(t *testing.T) {
	s := s3test.Start(t)
	s.SetEnv(t)
	loc := s.URL("rt")
	a, b := openAt(t, loc), openAt(t, loc)
	k := key("x")
	if err := a.Put(k, "t", []byte("value"), [32]byte{}); err != nil {
		t.Fatal(err)
	}
	unseen := key("never read")
	if err := a.Put(unseen, "t", []byte("other"), [32]byte{}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := b.Lookup(k); !ok || err != nil {
		t.Fatalf("first lookup: %v %v", ok, err)
	}
	s.Stop()
	if e, ok, err := b.Lookup(k); !ok || err != nil || string(e.Data) != "value" {
		t.Fatalf("local read-through copy: %q %v %v", e.Data, ok, err)
	}
	_, ok, err := b.Lookup(unseen)
	if ok || err == nil {
		t.Fatalf("lookup with the bucket down: ok=%v err=%v, want an error", ok, err)
	}
	if strings.Contains(err.Error(), s.Secret) || strings.Contains(err.Error(), s.Access) {
		t.Fatalf("credentials in the error: %v", err)
	}
	if err := b.Put(key("new"), "t", []byte("v"), [32]byte{}); err == nil {
		t.Fatal("put with the bucket down succeeded")
	}
}

func TestOpenErrors(t *testing.T) {
	s := s3test.Start(t)
	s.SetEnv(t)
	cases := []struct {
		name, location, want string
	}{
		{"no such bucket", strings.Replace(s.URL(""), s.Bucket, "missing-bucket", 1), "does not exist"},
		{"unknown scheme", "ftp://host/dir", "unknown URL scheme"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Open(context.Background(), c.location, Options{Local: t.TempDir()})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Open(%s) = %v, want %q", c.location, err, c.want)
			}
		})
	}
	t.Run("wrong credentials", func(t *testing.T) {
		t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-value")
		_, err := Open(context.Background(), s.URL(""), Options{Local: t.TempDir()})
		if err == nil {
			t.Fatal("opened with wrong credentials")
		}
		if strings.Contains(err.Error(), "wrong-secret-value") {
			t.Fatalf("secret in the error: %v", err)
		}
	})
}

func TestRedact(t *testing.T) {
	cases := []struct{ in, want string }{
		{"s3://bucket/p?endpoint=http://127.0.0.1:9000&region=x", "s3://bucket/p?endpoint=http://127.0.0.1:9000&region=x"},
		{"s3://user:pa55word@bucket/p", "s3://REDACTED@bucket/p"},
		{"azblob://c?sas_token=sv%3D2020%26sig%3Dabc&domain=x", "azblob://c?domain=x&sas_token=REDACTED"},
		{"gs://b?access_id=a&private_key_path=/k", "gs://b?access_id=a&private_key_path=REDACTED"},
	}
	for _, c := range cases {
		if got := Redact(c.in); got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	msg := scrub("open bucket s3://user:pa55word@b?session_token=tok123: denied (tok123)", "s3://user:pa55word@b?session_token=tok123")
	if strings.Contains(msg, "pa55word") || strings.Contains(msg, "tok123") {
		t.Fatalf("scrub left a secret: %s", msg)
	}
}

func TestIsURL(t *testing.T) {
	for loc, want := range map[string]bool{
		"/var/cache/ccw": false, "relative/dir": false, "C:/cache": false, "s3://b": true,
		"gs://b": true, "azblob://c": true, "file:///tmp/x": true, "mem://": true, "ftp://x": false,
	} {
		if got := IsURL(loc); got != want {
			t.Errorf("IsURL(%q) = %v, want %v", loc, got, want)
		}
	}
}
