package builtin

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages"
	"github.com/ccw-dev/ccw/stages/execfeedback"
	"github.com/ccw-dev/ccw/stages/execute"
	"github.com/ccw-dev/ccw/stages/extract"
	"github.com/ccw-dev/ccw/stages/let"
	"github.com/ccw-dev/ccw/stages/llm"
	"github.com/ccw-dev/ccw/stages/llmstage"
	"github.com/ccw-dev/ccw/stages/load"
	"github.com/ccw-dev/ccw/stages/pytool"
	"github.com/ccw-dev/ccw/stages/sandbox"
	"github.com/ccw-dev/ccw/stages/score"
	"github.com/ccw-dev/ccw/stages/tasks"
	"github.com/zclconf/go-cty/cty"
)

// Options tune the built-in set.
type Options struct {
	// DatasetDir is where downloaded task sets are cached; empty means the
	// task source's default.
	DatasetDir string
}

// Registry returns every built-in stage kind, resource block and source.
func Registry(opt Options) *stages.Set {
	s := stages.NewSet()
	s.AddRunner(execute.New())
	s.AddRunner(score.New())
	s.AddBlock(sandbox.Block())
	s.AddRunner(llmstage.NewGenerate())
	s.AddRunner(llmstage.NewRefine())
	s.AddRunner(llmstage.NewSimulate())
	s.AddRunner(extract.New())
	s.AddRunner(let.New())
	for _, r := range pytool.New(pytool.Options{}).Runners() {
		s.AddRunner(r)
	}
	s.AddRunner(execfeedback.New())
	s.AddRunner(load.New())
	s.AddBlock(llm.Block())
	for name, f := range llmstage.Functions() {
		s.Functions[name] = f
	}
	s.Tasks = taskSource{dir: opt.DatasetDir}
	s.Metrics = metrics
	return s
}

// metrics computes ConvCodeWorld's live metrics, or ConvCodeBench's static
// ones when the protocol's metrics attribute says protocol = "static". A
// live run whose rows go on after a pass re-executed solved code
// (fidelity = "original"): a missing row after a pass then counts as
// missing, not as the pass carried on.
func metrics(rows []schemas.Turn, run stages.MetricsRun, rec *schemas.RunExperiment) ([]schemas.Metric, error) {
	spec := score.Spec{Experiment: run.Experiment, Combinations: run.Combinations, Turns: run.Turns, Stage: run.Stage,
		Tasks: run.Tasks}
	if err := applyOptions(&spec, run.Options); err != nil {
		return nil, err
	}
	if spec.Protocol != schemas.ProtocolStatic {
		spec.RerunSolved = continuesAfterPass(rows, spec.Stage)
	}
	ms, err := score.Metrics(rows, spec)
	if err != nil {
		return nil, err
	}
	spec.Record(rec)
	return ms, nil
}

// applyOptions reads a protocol's metrics attribute: protocol (live or
// static), stage (the scored score stage, default the last one),
// reference (static: the reference's score stage), compensate_init and
// exclude_init_solved (true or false).
func applyOptions(spec *score.Spec, opts map[string]string) error {
	flag := func(name, v string) (bool, error) {
		switch v {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return false, fmt.Errorf("metrics option %s = %q: want true or false", name, v)
	}
	for _, k := range slices.Sorted(maps.Keys(opts)) {
		v := opts[k]
		switch k {
		case "protocol":
			if v != schemas.ProtocolLive && v != schemas.ProtocolStatic {
				return fmt.Errorf("metrics option protocol = %q: want %q or %q", v, schemas.ProtocolLive, schemas.ProtocolStatic)
			}
			spec.Protocol = v
		case "stage":
			spec.Stage = v
		case "reference":
			spec.Reference = v
		case "compensate_init":
			on, err := flag(k, v)
			if err != nil {
				return err
			}
			spec.NoCompensateInit = !on
		case "exclude_init_solved":
			on, err := flag(k, v)
			if err != nil {
				return err
			}
			spec.ExcludeInitSolved = on
		default:
			return fmt.Errorf("unknown metrics option %q (known: protocol, stage, reference, compensate_init, exclude_init_solved)", k)
		}
	}
	if spec.Protocol != schemas.ProtocolStatic && (spec.Reference != "" || spec.NoCompensateInit) {
		return fmt.Errorf("metrics options reference and compensate_init are for protocol = %q", schemas.ProtocolStatic)
	}
	return nil
}

func continuesAfterPass(rows []schemas.Turn, stage string) bool {
	type key struct{ combo, task string }
	passed := map[key]int32{}
	for _, r := range rows {
		if r.Stage != stage {
			continue
		}
		k := key{r.Combination, r.TaskID}
		if t, ok := passed[k]; ok && r.Turn > t {
			return true
		}
		if r.Passed {
			if t, ok := passed[k]; !ok || r.Turn < t {
				passed[k] = r.Turn
			}
		}
	}
	return false
}

// taskSource adapts package tasks to stages.TaskSource.
type taskSource struct{ dir string }

var _ stages.TaskSource = taskSource{}

func (taskSource) Schema() stages.Schema { return tasks.Schema() }

func (taskSource) Type(cfg cty.Value) (cty.Type, error) {
	if _, err := tasks.ConfigFromValue(cfg); err != nil {
		return cty.NilType, err
	}
	return (&tasks.Set{}).Type(), nil
}

func (t taskSource) Load(ctx context.Context, cfgVal cty.Value, offline bool) (*stages.TaskSet, error) {
	cfg, err := tasks.ConfigFromValue(cfgVal)
	if err != nil {
		return nil, err
	}
	cfg.Offline = cfg.Offline || offline
	if cfg.CacheDir == "" {
		cfg.CacheDir = t.dir
	}
	set, err := tasks.Load(ctx, cfg)
	if err != nil {
		return nil, err
	}
	out := &stages.TaskSet{
		Source: set.Source, Split: set.Split, Digest: set.Digest, Origin: set.Origin,
		Selection: map[string]any{"subset": set.Subset, "ids": set.IDs, "limit": set.Limit, "total": set.Total},
	}
	for _, task := range set.Tasks {
		out.IDs = append(out.IDs, task.ID)
		out.Values = append(out.Values, task.Value())
	}
	return out, nil
}
