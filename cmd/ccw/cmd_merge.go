package main

import (
	"fmt"

	"github.com/ccw-dev/ccw/engine/shard"
	"github.com/ccw-dev/ccw/stages/builtin"
)

type mergeCmd struct {
	Dirs []string `arg:"" name:"dir" help:"Results directories of the shards (ccw run --shard), or a directory holding shard-I-of-N directories." type:"existingdir"`
	Out  string   `required:"" help:"Directory for the joined tables and run.json." placeholder:"DIR"`
}

func (c *mergeCmd) Run(e *env) error {
	dirs, err := shard.Expand(c.Dirs)
	if err != nil {
		return err
	}
	m, err := shard.Merge(dirs, builtin.Registry(builtin.Options{}).Metrics)
	if err != nil {
		return err
	}
	if err := m.Write(c.Out); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "merged %d shards of experiment %s: %d tasks, %d turn rows, %d calls, %d metric rows\nresults: %s\n",
		len(dirs), m.Run.Experiment.Name, m.Run.Experiment.Tasks.Count, len(m.Turns), len(m.Calls), len(m.Metrics), c.Out)
	for _, p := range m.Run.Parts {
		if !p.Complete {
			fmt.Fprintf(e.stderr, "note: shard %d (%s) was incomplete; run it again and merge again\n", p.Index, p.Dir)
		}
	}
	return nil
}
