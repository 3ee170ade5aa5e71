package main

import (
	"fmt"
	"strings"
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
