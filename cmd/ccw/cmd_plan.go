package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/ccw-dev/ccw/engine"
)

type planCmd struct {
	runFlags
}

func (c *planCmd) Run(e *env) error {
	_, res, err := c.walk(e, engine.RunOptions{DryRun: true})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "stage\tinstances\tcached\tto run\tafter those\t")
	for _, sp := range res.Experiment.AllStages() {
		n := res.PerStage[sp.Label]
		if sp.Ephemeral {
			fmt.Fprintf(tw, "%s\t%d\t-\t-\t-\t  recomputed every run\n", sp.Label, n.Total)
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t\n", sp.Label, n.Total, n.Cached+n.Shared, n.WouldRun, n.Blocked)
	}
	tw.Flush()
	printSummary(e, res, true)
	return nil
}
