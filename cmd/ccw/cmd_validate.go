package main

import "fmt"

type validateCmd struct {
	loadFlags
}

func (c *validateCmd) Run(e *env) error {
	l, err := load(e, c.loadFlags, "")
	if err != nil {
		return err
	}
	defer l.plan.Close()
	for _, ep := range l.plan.Experiments {
		what := fmt.Sprintf("%d stages", len(ep.Stages))
		if ep.HasTurns() {
			what = fmt.Sprintf("%d stages at turn 0 and %d in each of %d later turns", len(ep.Stages), len(ep.TurnStages), ep.Turns)
		}
		if ep.Named() {
			what += fmt.Sprintf(", %d combinations", len(ep.Combinations))
		}
		if ep.Protocol != "" {
			what += ", protocol " + ep.Protocol
		}
		fmt.Fprintf(e.stdout, "%s: experiment %q is valid: %s, over tasks.%s\n", c.File, ep.Name, what, ep.Tasks.Name)
	}
	if len(l.plan.Experiments) == 0 {
		fmt.Fprintf(e.stdout, "%s: valid, but declares no experiment\n", c.File)
	}
	return nil
}
