// Package s3test starts a real S3-compatible server on loopback for tests:
// versitygw with its posix backend over a temporary directory, one fresh
// bucket, random root credentials. It owns finding the binary (installed
// by .ci/setup with `go install`), the process's life (killed when the
// test ends) and the URL ccw opens the bucket with. It is imported by
// tests and benchmarks only; it never downloads or builds anything.
package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ccw-dev/ccw/internal/testenv"
)

// Version is the versitygw release .ci/setup installs.
const Version = "v1.2.0"

// Server is a running versitygw.
type Server struct {
	Endpoint string // http://127.0.0.1:PORT
	Bucket   string
	Access   string
	Secret   string
	Dir      string // the posix backend's root: one directory per bucket
	cmd      *exec.Cmd
	log      *bytes.Buffer
}

// Binary finds versitygw: $CCW_VERSITYGW, then PATH, then the Go bin
// directory `go install` puts it in.
func Binary() (string, error) {
	if p := os.Getenv("CCW_VERSITYGW"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	var dirs []string
	if d := os.Getenv("GOBIN"); d != "" {
		dirs = append(dirs, d)
	}
	if d := os.Getenv("GOPATH"); d != "" {
		dirs = append(dirs, filepath.Join(strings.Split(d, string(os.PathListSeparator))[0], "bin"))
	}
	if h, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(h, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "versitygw")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("versitygw not found (install it with: go install github.com/versity/versitygw/cmd/versitygw@%s, or set CCW_VERSITYGW)", Version)
}

// Start starts a server with one empty bucket; it stops when tb ends. A
// missing binary skips tb (fails it where CI=true).
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := Binary()
	if err != nil {
		testenv.Missing(tb, "%v", err)
	}
	s := &Server{Dir: tb.TempDir(), Bucket: "ccw-" + random(4), Access: "ccwtest" + random(4), Secret: random(16), log: &bytes.Buffer{}}
	port, err := freePort()
	if err != nil {
		tb.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	s.Endpoint = "http://" + addr
	s.cmd = exec.Command(bin, "--port", addr, "posix", s.Dir)
	s.cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID="+s.Access, "ROOT_SECRET_ACCESS_KEY="+s.Secret)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		tb.Fatalf("starting versitygw: %v", err)
	}
	tb.Cleanup(s.Stop)
	if err := waitListening(addr, 30*time.Second); err != nil {
		tb.Fatalf("versitygw did not start: %v\n%s", err, s.log)
	}
	if err := s.CreateBucket(context.Background(), s.Bucket); err != nil {
		tb.Fatalf("creating bucket %s: %v\n%s", s.Bucket, err, s.log)
	}
	return s
}

// Stop kills the server (tests of a store out of reach call it early).
func (s *Server) Stop() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	}
}

// Client returns an S3 client of the server with the root credentials.
func (s *Server) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.Access, s.Secret, ""),
	})
}

// CreateBucket creates another bucket.
func (s *Server) CreateBucket(ctx context.Context, name string) error {
	_, err := s.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
	return err
}

// URL is the cache location of prefix in the server's bucket, as a user
// writes it: credentials are not in it (see Env).
func (s *Server) URL(prefix string) string {
	q := url.Values{}
	q.Set("endpoint", s.Endpoint)
	q.Set("use_path_style", "true")
	q.Set("region", "us-east-1")
	if prefix != "" {
		q.Set("prefix", strings.TrimSuffix(prefix, "/")+"/")
	}
	return "s3://" + s.Bucket + "?" + q.Encode()
}

// Env is the environment that gives a process the server's credentials,
// as a user's environment gives them: AWS's variables.
func (s *Server) Env() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + s.Access, "AWS_SECRET_ACCESS_KEY=" + s.Secret,
		"AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true"}
}

// SetEnv puts Env into the test process's environment for the test.
func (s *Server) SetEnv(t *testing.T) {
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// Log returns what the server printed.
func (s *Server) Log() string { return s.log.String() }

func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitListening dials addr until it answers, a bounded number of times.
func waitListening(addr string, limit time.Duration) error {
	var err error
	for i := 0; i < int(limit/(50*time.Millisecond)); i++ {
		var c net.Conn
		if c, err = net.DialTimeout("tcp", addr, time.Second); err == nil {
			return c.Close()
		}
		time.Sleep(50 * time.Millisecond)
	}
	return err
}
