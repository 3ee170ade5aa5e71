package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/alecthomas/kong"

	"github.com/ccw-dev/ccw/engine/cache"
	"github.com/ccw-dev/ccw/engine/cache/blobstore"
)

// exit codes
const (
	exitOK          = 0
	exitFailure     = 1 // invalid configuration or failed stages
	exitUsage       = 2
	exitInterrupted = 130
)

// loadFlags are shared by the commands that load a pipeline file.
type loadFlags struct {
	File string   `arg:"" name:"file" help:"Pipeline file (.hcl)." type:"existingfile"`
	Var  []string `name:"var" short:"v" sep:"none" help:"Set a variable: --var name=value (repeatable)." placeholder:"NAME=VALUE"`
}

type cacheFlag struct {
	Cache      string `name:"cache" help:"Cache directory, or a bucket URL shared by many machines: s3://BUCKET?prefix=P/&endpoint=URL&use_path_style=true (S3-compatible servers), gs://, azblob://, file://. Credentials come from the provider's usual environment (AWS_ACCESS_KEY_ID, ...). Default $CCW_CACHE, else $XDG_CACHE_HOME/ccw or ~/.cache/ccw." placeholder:"DIR|URL"`
	CacheLocal string `name:"cache-local" help:"Directory of the read-through copy kept in front of a bucket cache (default: under the default cache directory)." placeholder:"DIR"`
}

func (c cacheFlag) dir() string {
	if c.Cache != "" {
		return c.Cache
	}
	if d := os.Getenv("CCW_CACHE"); d != "" {
		return d
	}
	return defaultCacheDir()
}

func defaultCacheDir() string {
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "ccw")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".cache", "ccw")
	}
	return ".ccw-cache"
}

// localDir is a directory on this machine for what is never shared
// (downloaded task sets, the read-through copy of a bucket).
func (c cacheFlag) localDir() string {
	if d := c.dir(); !blobstore.IsURL(d) {
		return d
	}
	return defaultCacheDir()
}

// shown is the cache location as messages may print it: a bucket URL
// without credentials.
func (c cacheFlag) shown() string {
	if d := c.dir(); blobstore.IsURL(d) {
		return blobstore.Redact(d)
	}
	return c.dir()
}

// localOnly returns the cache directory for a command that reads or
// prunes a local cache directory (du, gc), or an error for a bucket.
func (c cacheFlag) localOnly(cmd string) (string, error) {
	d := c.dir()
	if blobstore.IsURL(d) {
		return "", fmt.Errorf("ccw %s: %s is a bucket; %s works on a local cache directory (this machine's copy of the bucket is in %s; prune a bucket with its own lifecycle rules)", cmd, blobstore.Redact(d), cmd, c.localDir())
	}
	return d, nil
}

// open opens the cache: a directory, or a bucket behind a local copy.
func (c cacheFlag) open(opt cache.Options) (cache.Backend, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return blobstore.Open(ctx, c.dir(), blobstore.Options{Local: c.CacheLocal, LocalRoot: defaultCacheDir(), Cache: opt})
}

// cli is the command-line grammar.
type cli struct {
	Validate validateCmd `cmd:"" help:"Check a pipeline file and report every problem with its location."`
	Plan     planCmd     `cmd:"" help:"Show what a run would do: instances per stage, how many are cached."`
	Run      runCmd      `cmd:"" help:"Run an experiment (resumes from the cache); results go to the output directory."`
	Graph    graphCmd    `cmd:"" help:"Print the stage graph of an experiment as Graphviz DOT."`
	Report   reportCmd   `cmd:"" help:"Summarise a results directory (or the shard directories of one run)."`
	Merge    mergeCmd    `cmd:"" help:"Join the results of the shards of one run (ccw run --shard) into the tables a single run writes."`
	Diff     diffCmd     `cmd:"" help:"Compare two runs: flipped tasks and turns, paired tests per combination, configuration inputs that differ."`
	Cache    cacheCmd    `cmd:"" help:"Inspect the cache."`
	Import   importCmd   `cmd:"" help:"Read another tool's logs into a ccw results directory."`
	Version  versionCmd  `cmd:"" help:"Print the version."`
}

// env is what commands write to.
type env struct {
	stdout, stderr io.Writer
}

// Main runs ccw with args and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	var c cli
	exitCode := -1
	parser, err := kong.New(&c,
		kong.Name("ccw"),
		kong.Description("Reproducible, cached multi-turn code-generation benchmarks (ConvCodeWorld on BigCodeBench)."),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { exitCode = code }),
		kong.UsageOnError(),
	)
	if err != nil {
		fmt.Fprintln(stderr, "ccw:", err)
		return exitUsage
	}
	ctx, err := parser.Parse(args)
	if exitCode >= 0 { // --help
		return exitCode
	}
	if err != nil {
		fmt.Fprintln(stderr, "ccw:", err)
		return exitUsage
	}
	e := &env{stdout: stdout, stderr: stderr}
	err = ctx.Run(e)
	var ec exitError
	if errors.As(err, &ec) {
		return int(ec)
	}
	if err != nil {
		fmt.Fprintln(stderr, "ccw:", err)
		return exitFailure
	}
	return exitOK
}

// exitError ends a command with a code after it has printed its own message.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit %d", int(e)) }

type versionCmd struct{}

func (versionCmd) Run(e *env) error {
	fmt.Fprintln(e.stdout, "ccw", version)
	return nil
}
