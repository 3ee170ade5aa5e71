package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/ccw-dev/ccw/engine"
	"github.com/ccw-dev/ccw/engine/cache"
)

type planCmd struct {
	runFlags
}

func (c *planCmd) Run(e *env) error {
	l, err := load(e, c.loadFlags, datasetDir(c.cacheFlag))
	if err != nil {
		return err
	}
	defer l.plan.Close()
	store, err := cache.Open(c.dir(), cache.Options{})
	if err != nil {
		return err
	}
	ctx, stop := interruptible(e)
	defer stop()
	res, err := engine.Run(ctx, l.plan, engine.RunOptions{
		Experiment: c.Experiment, Cache: store, Parallelism: c.Parallelism, Offline: c.Offline, DryRun: true,
	})
	if err != nil {
		l.printRunError(e.stderr, err)
		return exitError(exitFailure)
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "stage\tinstances\tcached\tto run\tafter those\t")
	for _, sp := range res.Experiment.Stages {
		n := res.PerStage[sp.Addr]
		if sp.Ephemeral {
			fmt.Fprintf(tw, "%s\t%d\t-\t-\t-\t  recomputed every run\n", sp.Addr, n.Total)
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t\n", sp.Addr, n.Total, n.Cached+n.Shared, n.WouldRun, n.Blocked)
	}
	tw.Flush()
	printSummary(e, res, true)
	return nil
}
