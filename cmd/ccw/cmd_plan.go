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
	ep := res.Experiment
	lower := res.Undecided > 0
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "stage\tinstances\tcached\tn/a\tto run\tafter those\tat most\t")
	for _, sp := range ep.AllStages() {
		n := res.PerStage[sp.Label]
		total := fmt.Sprint(n.Total)
		if sp.InTurn && lower {
			total = "≥" + total
		}
		if sp.Ephemeral {
			fmt.Fprintf(tw, "%s\t%s\t-\t%d\t-\t-\t%d\t  recomputed every run\n", sp.Label, total, n.NotApplicable, n.Bound)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t\n", sp.Label, total, n.Cached+n.Shared, n.NotApplicable, n.WouldRun, n.Blocked, n.Bound)
	}
	tw.Flush()
	if ep.HasTurns() {
		ended := 0
		for _, n := range res.Turns {
			ended += n
		}
		fmt.Fprintf(e.stdout, "turns: %d combination(s), up to %d turns after turn 0; %d (task, combination) pairs decided from the cache",
			len(ep.Combinations), ep.Turns, ended)
		if lower {
			fmt.Fprintf(e.stdout, ", %d not yet: the turns they still need are not unrolled, so the counts marked ≥ are lower bounds and \"at most\" is the bound if no task stops early", res.Undecided)
		}
		fmt.Fprintln(e.stdout, ".")
	}
	printSummary(e, res, true)
	return nil
}
