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
		fmt.Fprintf(e.stdout, "%s: experiment %q is valid: %d stages over tasks.%s\n", c.File, ep.Name, len(ep.Stages), ep.Tasks.Name)
	}
	if len(l.plan.Experiments) == 0 {
		fmt.Fprintf(e.stdout, "%s: valid, but declares no experiment\n", c.File)
	}
	return nil
}
