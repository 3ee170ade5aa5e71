package main

import (
	"fmt"

	"text/tabwriter"

	"github.com/ccw-dev/ccw/engine"
)

type planCmd struct {
	runFlags
	Cost   bool   `help:"Also estimate what the run still costs: model calls, tokens and dollars per model, executions and sandbox time, as a range (every undecided task solved .. none solved)."`
	Expect string `help:"With --cost: a prior run's (or a reference run's) results directory, whose per-turn pass rates and measured calls give an expected value." placeholder:"DIR" type:"existingdir"`
}

func (c *planCmd) Run(e *env) error {
	if c.Expect != "" && !c.Cost {
		return fmt.Errorf("plan: --expect is an option of --cost")
	}
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
	if c.Cost {
		return c.costPlan(e)
	}
	return nil
}
