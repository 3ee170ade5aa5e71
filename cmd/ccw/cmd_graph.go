package main

import (
	"fmt"
	"strings"

	"github.com/ccw-dev/ccw/engine"
)

type graphCmd struct {
	loadFlags
	Experiment string `help:"Experiment to draw when the file declares several." placeholder:"NAME"`
}

func (c *graphCmd) Run(e *env) error {
	l, err := load(e, c.loadFlags, "")
	if err != nil {
		return err
	}
	defer l.plan.Close()
	ep, diags := l.plan.Experiment(c.Experiment)
	if diags.HasErrors() {
		l.printDiags(e.stderr, diags)
		return exitError(exitFailure)
	}
	if !ep.HasTurns() {
		types := map[string]string{}
		for _, sp := range ep.Stages {
			types[sp.Addr] = sp.Runner.CacheType()
		}
		g := ep.Graph
		g.TransitiveReduction()
		dot := g.DOT(ep.Name, func(v string) string { return v + "\n" + types[v] })
		fmt.Fprint(e.stdout, strings.TrimRight(dot, "\n")+"\n")
		return nil
	}
	fmt.Fprint(e.stdout, turnsDOT(ep))
	return nil
}

// turnsDOT draws a multi-turn experiment: turn 0 and the turn template as
// two clusters, same-turn dependencies as solid edges, prev references as
// dashed ones (turn 0 to turn 1, and turn t to turn t+1). Stages that run
// once per combination are drawn with a double border.
func turnsDOT(ep *engine.ExperimentPlan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %q {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n", ep.Name)
	cluster := func(name, label string, list []*engine.StagePlan) {
		fmt.Fprintf(&b, "  subgraph %q {\n    label=%q;\n", "cluster_"+name, label)
		for _, sp := range list {
			attrs := ""
			if sp.PerCombination {
				attrs = ", peripheries=2"
			}
			fmt.Fprintf(&b, "    %q [label=%q%s];\n", sp.Label, sp.Addr+"\n"+sp.Runner.CacheType(), attrs)
		}
		for _, sp := range list {
			for _, d := range sp.Deps {
				fmt.Fprintf(&b, "    %q -> %q;\n", list[d].Label, sp.Label)
			}
		}
		b.WriteString("  }\n")
	}
	cluster("turn0", "turn 0", ep.Stages)
	cluster("turns", fmt.Sprintf("turns 1..%d", ep.Turns), ep.TurnStages)
	for _, sp := range ep.TurnStages {
		for _, pd := range sp.PrevDeps {
			fmt.Fprintf(&b, "  %q -> %q [style=dashed, label=\"prev (turn 1)\"];\n", pd.Addr+"@0", sp.Label)
			fmt.Fprintf(&b, "  %q -> %q [style=dashed, label=\"prev\", constraint=false];\n", pd.Addr+"@t", sp.Label)
		}
	}
	b.WriteString("}\n")
	return b.String()
}
