package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/ccw-dev/ccw/engine/cache"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/ccw-dev/ccw/engine"
	"github.com/ccw-dev/ccw/engine/shard"
	"github.com/ccw-dev/ccw/engine/timing"
)

type runFlags struct {
	loadFlags
	cacheFlag
	Experiment  string `help:"Experiment to run when the file declares several." placeholder:"NAME"`
	Parallelism int    `default:"256" help:"Stage instances in flight at once (stages bound their own resources further)."`
	Offline     bool   `help:"Use no network: tasks and model answers must come from the cache."`
	Fsync       bool   `help:"fsync every cache entry before publishing it, so that even a machine crash loses no finished result (slower: a killed ccw never loses one either way, and a damaged entry only counts as a miss)."`
	Shard       string `help:"Run one shard of the tasks: INDEX/COUNT, INDEX from 0 (e.g. $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT). Results go to OUTPUT/shard-INDEX-of-COUNT unless --out says otherwise; ccw merge joins them." placeholder:"I/N"`
	CPUProfile  string `name:"cpuprofile" hidden:"" help:"Write a CPU profile of the run to this file."`
	TurnBarrier bool   `name:"turn-barrier" hidden:"" help:"Hold every task's next turn until the current turn of every task has ended (the original's schedule, for comparisons)."`
}

type runCmd struct {
	runFlags
	Out  string `help:"Results directory (overrides the experiment's output)." placeholder:"DIR"`
	JSON bool   `name:"json" help:"Progress as JSON lines on stderr."`
	// ProgressEvery is the interval of progress lines on a pipe.
	ProgressEvery time.Duration `name:"progress-every" hidden:"" default:"10s" help:"Interval of progress lines when stderr is not a terminal."`
}

func datasetDir(c cacheFlag) string { return filepath.Join(c.localDir(), "datasets") }

// walk loads the file, opens the cache and runs the engine with opts
// completed from the flags; the caller renders the result.
func (f runFlags) walk(e *env, opts engine.RunOptions, prepare ...func(*loaded)) (*loaded, *engine.Result, error) {
	if f.Shard != "" {
		sh, err := shard.Parse(f.Shard)
		if err != nil {
			return nil, nil, err
		}
		opts.Shard = sh
	}
	l, err := load(e, f.loadFlags, datasetDir(f.cacheFlag))
	if err != nil {
		return nil, nil, err
	}
	for _, p := range prepare {
		p(l)
	}
	defer l.plan.Close()
	store, err := f.open(cache.Options{NoSync: !f.Fsync})
	if err != nil {
		return nil, nil, err
	}
	defer store.Close()
	// The execution-time history orders work, never results: without it
	// the run still runs, in dataset order.
	book, err := timing.Open(filepath.Join(f.localDir(), timing.FileName))
	if err != nil {
		fmt.Fprintf(e.stderr, "ccw: warning: %v; tasks run in dataset order\n", err)
	}
	defer book.Close()
	opts.Timings, opts.Estimate = book, libsEstimate
	ctx, stop := interruptible(e)
	defer stop()
	if f.CPUProfile != "" {
		pf, err := os.Create(f.CPUProfile)
		if err != nil {
			return nil, nil, err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return nil, nil, err
		}
		defer pprof.StopCPUProfile()
	}
	opts.Experiment, opts.Cache, opts.Parallelism, opts.Offline, opts.Version = f.Experiment, store, f.Parallelism, f.Offline, version
	opts.TurnBarrier = f.TurnBarrier
	res, err := engine.Run(ctx, l.plan, opts)
	if err != nil {
		l.printRunError(e.stderr, err)
		return nil, nil, exitError(exitFailure)
	}
	return l, res, nil
}

func (c *runCmd) Run(e *env) error {
	prog := newProgressEvery(e.stderr, c.JSON, c.ProgressEvery)
	l, res, err := c.walk(e, engine.RunOptions{Out: c.Out, Events: prog.Event})
	prog.Close()
	if err != nil {
		return err
	}
	const shown = 20
	for i, ve := range res.Errors {
		if i == shown {
			fmt.Fprintf(e.stderr, "... and %d more failures (see --json for all)\n", len(res.Errors)-shown)
			break
		}
		l.printRunError(e.stderr, ve)
	}
	printSummary(e, res, false)
	switch {
	case res.Cause != nil:
		c.printResume(e, res)
		return exitError(exitInterrupted)
	case len(res.Errors) > 0:
		return exitError(exitFailure)
	}
	return nil
}

// interruptible returns a context cancelled by the first SIGINT/SIGTERM;
// a second signal exits at once.
func interruptible(e *env) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s, ok := <-sig
		if !ok {
			return
		}
		fmt.Fprintf(e.stderr, "\n%v: stopping after the work in flight (again to quit now)\n", s)
		cancel(errors.New("interrupted by " + s.String()))
		if _, ok := <-sig; ok {
			os.Exit(exitInterrupted)
		}
	}()
	return ctx, func() { signal.Stop(sig); close(sig); cancel(nil) }
}

var statusOrder = []struct{ key, label string }{
	{"pass", "passed"}, {"fail", "failed"}, {"timeout", "timed out"}, {"crash", "crashed"}, {"oom", "out of memory"}, {"killed", "killed by a limit"},
}

func printSummary(e *env, res *engine.Result, plan bool) {
	t := res.Tasks
	fmt.Fprintf(e.stdout, "experiment %s: %d tasks from %s (%s)\n", res.Experiment.Name, len(t.IDs), strings.TrimSpace(t.Source+" "+t.Split), shortDigest(t.Digest))
	if !plan && res.Experiment.Named() {
		printCombinations(e, res)
	} else if !plan {
		scored, excluded := 0, 0
		for _, r := range res.Rows {
			if r.Excluded {
				excluded++
			} else {
				scored++
			}
		}
		line := "  "
		for i, s := range statusOrder {
			n := res.Summary.Statuses[s.key]
			if n == 0 && i > 2 {
				continue
			}
			if i > 0 {
				line += " · "
			}
			line += fmt.Sprintf("%s %d", s.label, n)
		}
		fmt.Fprintf(e.stdout, "%s  (%d scored, %d excluded)\n", line, scored, excluded)
	}
	ran, cached := 0, 0
	for _, c := range res.PerStage {
		ran += c.Ran
		cached += c.Cached + c.Shared
	}
	fmt.Fprintf(e.stdout, "  stages run %d · cached %d · failed %d · skipped %d", ran, cached, res.Summary.Failed, res.Summary.Skipped)
	if res.Summary.NotRun > 0 {
		fmt.Fprintf(e.stdout, " · not run %d", res.Summary.NotRun)
	}
	fmt.Fprintf(e.stdout, " · wall %s\n", res.Wall.Round(time.Millisecond))
	if !plan && ran == 0 && res.Summary.Failed == 0 && cached > 0 {
		fmt.Fprintln(e.stdout, "  everything was cached: nothing was executed")
	}
	if !plan {
		fmt.Fprintf(e.stdout, "results: %s\n", filepath.Join(res.OutDir, "turns.parquet"))
	}
}

// printCombinations prints, per combination, how many tasks passed at
// turn 0 and by the last turn, and how many turns ran.
func printCombinations(e *env, res *engine.Result) {
	type tally struct{ tasks, first, any, turns int }
	by := map[string]*tally{}
	seen := map[string]bool{}
	for _, r := range res.Rows {
		if r.Excluded {
			continue
		}
		t := by[r.Combination]
		if t == nil {
			t = &tally{}
			by[r.Combination] = t
		}
		k := r.Combination + "\x00" + r.TaskID
		if !seen[k] {
			seen[k] = true
			t.tasks++
		}
		if r.Turn > 0 {
			t.turns++
		}
		if r.Passed && r.Turn == 0 {
			t.first++
		}
		if r.Passed && !seen[k+"\x00pass"] {
			seen[k+"\x00pass"] = true
			t.any++
		}
	}
	ep := res.Experiment
	width := 0
	for _, c := range ep.Combinations {
		width = max(width, len(c.Label))
	}
	fmt.Fprintf(e.stdout, "  %-*s  turn 0  any turn  turns run\n", width, "combination")
	for _, c := range ep.Combinations {
		t := by[c.Name]
		if t == nil || t.tasks == 0 {
			fmt.Fprintf(e.stdout, "  %-*s  (no rows)\n", width, c.Label)
			continue
		}
		pct := func(n int) float64 { return 100 * float64(n) / float64(t.tasks) }
		fmt.Fprintf(e.stdout, "  %-*s  %5.1f%%    %5.1f%%  %9d\n", width, c.Label, pct(t.first), pct(t.any), t.turns)
	}
}

func shortDigest(d string) string {
	if len(d) > 19 {
		return d[:19] + "…"
	}
	return d
}

// printResume says, after an interruption, what was saved and the command
// that resumes the run.
func (c *runCmd) printResume(e *env, res *engine.Result) {
	ran, cached := 0, 0
	for _, n := range res.PerStage {
		ran += n.Ran
		cached += n.Cached + n.Shared
	}
	fmt.Fprintf(e.stderr, "stopped: %v.\n", res.Cause)
	fmt.Fprintf(e.stderr, "saved: %d stage results computed in this run (and %d found there) are in the cache %s;\n", ran, cached, c.shown())
	fmt.Fprintf(e.stderr, "       the rows finished so far are in %s (marked incomplete in run.json).\n", res.OutDir)
	args := []string{"ccw", "run", shellQuote(c.File)}
	for _, v := range c.Var {
		args = append(args, "--var", shellQuote(v))
	}
	if c.Experiment != "" {
		args = append(args, "--experiment", shellQuote(c.Experiment))
	}
	if c.Cache != "" {
		args = append(args, "--cache", shellQuote(c.shown()))
	}
	if c.Out != "" {
		args = append(args, "--out", shellQuote(c.Out))
	}
	if c.Offline {
		args = append(args, "--offline")
	}
	fmt.Fprintf(e.stderr, "resume (repeats nothing that finished):\n  %s\n", strings.Join(args, " "))
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:@,+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
