package cache

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func key(s string) [32]byte { return sha256.Sum256([]byte(s)) }

func open(t *testing.T) *Store {
	t.Helper()
	return openWith(t, t.TempDir(), Options{})
}

func openWith(t *testing.T, dir string, opt Options) *Store {
	t.Helper()
	s, err := Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestPutGet(t *testing.T) {
	s := open(t)
	cases := map[string][]byte{
		"empty":  {},
		"small":  []byte(`{"status":"pass"}`),
		"inline": bytes.Repeat([]byte("x"), InlineMax),
		"blob":   bytes.Repeat([]byte("y"), InlineMax+1),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			k := key(name)
			if _, ok := s.Get(k); ok {
				t.Fatal("hit before put")
			}
			before := time.Now().Truncate(time.Second)
			if err := s.Put(k, "ccw.test.v1", data, key("explain")); err != nil {
				t.Fatal(err)
			}
			e, ok := s.Get(k)
			if !ok {
				t.Fatal("miss after put")
			}
			if !bytes.Equal(e.Data, data) || e.Type != "ccw.test.v1" || e.Size != int64(len(data)) || e.Explain != key("explain") {
				t.Fatalf("entry %+v", e)
			}
			if after := time.Now(); e.Created.Before(before) || e.Created.After(after) {
				t.Fatalf("created %v, not between the put's start %v and end %v", e.Created, before, after)
			}
		})
	}
}

func acPath(s *Store, k [32]byte) string  { return s.path(acDir, hex.EncodeToString(k[:])) }
func casPath(s *Store, d [32]byte) string { return s.path(casDir, hex.EncodeToString(d[:])) }

func TestCorruptionIsAMiss(t *testing.T) {
	big := bytes.Repeat([]byte("z"), InlineMax+10)
	cases := []struct {
		name   string
		data   []byte
		damage func(s *Store, k [32]byte)
	}{
		{"flipped byte in inline entry", []byte("hello"), func(s *Store, k [32]byte) { flip(t, acPath(s, k), 10) }},
		{"truncated entry", []byte("hello"), func(s *Store, k [32]byte) { truncate(t, acPath(s, k), 5) }},
		{"empty entry", []byte("hello"), func(s *Store, k [32]byte) { truncate(t, acPath(s, k), 0) }},
		{"blob removed", big, func(s *Store, k [32]byte) { os.Remove(casPath(s, sha256.Sum256(big))) }},
		{"blob damaged", big, func(s *Store, k [32]byte) { flip(t, casPath(s, sha256.Sum256(big)), 100) }},
		{"blob truncated", big, func(s *Store, k [32]byte) { truncate(t, casPath(s, sha256.Sum256(big)), 10) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := openWith(t, t.TempDir(), Options{NoIndex: true})
			k := key(c.name)
			if err := s.Put(k, "t", c.data, [32]byte{}); err != nil {
				t.Fatal(err)
			}
			c.damage(s, k)
			if _, ok := s.Get(k); ok {
				t.Fatal("damaged entry was a hit")
			}
			if _, err := os.Stat(acPath(s, k)); err == nil {
				t.Fatal("broken entry left in place")
			}
			if s.Stats().Corrupt == 0 {
				t.Fatal("corruption not counted")
			}
			// Recomputing heals it.
			if err := s.Put(k, "t", c.data, [32]byte{}); err != nil {
				t.Fatal(err)
			}
			if e, ok := s.Get(k); !ok || !bytes.Equal(e.Data, c.data) {
				t.Fatal("not healed")
			}
		})
	}
}

func flip(t *testing.T, p string, at int) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[at%len(b)] ^= 0xff
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func truncate(t *testing.T, p string, n int64) {
	t.Helper()
	if err := os.Truncate(p, n); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentWritersOneKey(t *testing.T) {
	s := open(t)
	k := key("same")
	data := bytes.Repeat([]byte("q"), InlineMax*2)
	var wg sync.WaitGroup
	var created atomic.Int32
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch err := s.Put(k, "t", data, [32]byte{}); {
			case err == nil:
				created.Add(1)
			case !errors.Is(err, ErrExists):
				t.Error(err)
			}
			if e, ok := s.Get(k); !ok || !bytes.Equal(e.Data, data) {
				t.Error("reader saw a partial entry")
			}
		}()
	}
	wg.Wait()
	if created.Load() != 1 {
		t.Fatalf("%d writers created the entry, want 1 (create-only)", created.Load())
	}
	leftovers, _ := filepath.Glob(filepath.Join(s.Root(), "*", "*", ".tmp-*"))
	if len(leftovers) != 0 {
		t.Fatalf("temp files left: %v", leftovers)
	}
}

func TestFindKeys(t *testing.T) {
	s := open(t)
	k := key("findme")
	if err := s.Put(k, "t", []byte("x"), [32]byte{}); err != nil {
		t.Fatal(err)
	}
	h := hex.EncodeToString(k[:])
	got, err := s.FindKeys("sha256:"+h[:6], 10)
	if err != nil || len(got) != 1 || got[0] != h {
		t.Fatalf("FindKeys = %v, %v", got, err)
	}
	if _, err := s.FindKeys("z", 10); err == nil {
		t.Fatal("short prefix accepted")
	}
	if _, err := s.FindKeys("zz12", 10); err == nil || !strings.Contains(err.Error(), "hexadecimal") {
		t.Fatalf("non-hex prefix: %v", err)
	}
}

// TestKilledWriter kills a process that writes entries as fast as it can,
// then checks that every entry it published verifies: a kill never leaves
// a half-written entry visible.
func TestKilledWriter(t *testing.T) {
	if os.Getenv("CCW_CACHE_WRITER") != "" {
		s, err := Open(os.Getenv("CCW_CACHE_WRITER"), Options{NoSync: true})
		if err != nil {
			os.Exit(3)
		}
		for i := 0; ; i++ {
			data := bytes.Repeat([]byte{byte(i)}, (i%7)*InlineMax/3+1)
			_ = s.Put(key(fmt.Sprint(i)), "t", data, [32]byte{})
			if i == 50 {
				fmt.Println("published") // the parent kills once entries exist
			}
		}
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledWriter$")
	cmd.Env = append(os.Environ(), "CCW_CACHE_WRITER="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it while it writes, once it has published something.
	if _, err := bufio.NewReader(stdout).ReadString('\n'); err != nil {
		t.Fatalf("the writer ended before publishing: %v", err)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()

	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := filepath.Glob(filepath.Join(dir, acDir, "*", "*"))
	n := 0
	for _, p := range entries {
		name := filepath.Base(p)
		if strings.HasPrefix(name, ".tmp-") {
			continue
		}
		var k [32]byte
		if _, err := hex.Decode(k[:], []byte(name)); err != nil {
			t.Fatalf("stray file %s", p)
		}
		if _, ok := s.Get(k); !ok {
			t.Fatalf("published entry %s does not verify", name)
		}
		n++
	}
	if n == 0 {
		t.Fatal("the writer published nothing; the test proves nothing")
	}
	t.Logf("%d entries published before SIGKILL, all verified", n)
}
