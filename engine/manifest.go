package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"time"

	"github.com/ccw-dev/ccw/engine/cachekey"
	"github.com/ccw-dev/ccw/schemas"
	"github.com/zclconf/go-cty/cty"
)

// manifest builds run.json.
func (r *run) manifest(res *Result) *schemas.Run {
	m := &schemas.Run{
		SchemaVersion: schemas.RunVersion,
		CCWVersion:    r.opts.Version,
		ConfigFile:    r.plan.Config.Path,
		Variables:     map[string]any{},
		Resources:     map[string]any{},
		Tables:        map[string]string{"turns.parquet": schemas.TurnsVersion},
		Started:       res.Started.UTC().Truncate(time.Millisecond),
		Finished:      res.Started.Add(res.Wall).UTC().Truncate(time.Millisecond),
		WallSeconds:   res.Wall.Seconds(),
		Summary:       res.Summary,
		Host:          hostInfo(),
	}
	if len(res.Calls) > 0 {
		m.Tables["calls.parquet"] = schemas.CallsVersion
	}
	if b, err := os.ReadFile(r.plan.Config.Path); err == nil {
		sum := sha256.Sum256(b)
		m.ConfigSHA256 = hex.EncodeToString(sum[:])
		m.ConfigSource = string(b)
	}
	for name, v := range r.plan.Scope.Vars {
		m.Variables[name] = jsonValue(v)
	}
	t := res.Tasks
	m.Experiment = schemas.RunExperiment{
		Name: r.ep.Name,
		Tasks: schemas.RunTasks{Block: r.ep.Tasks.Name, Source: t.Source, Split: t.Split, Digest: t.Digest,
			Origin: t.Origin, Selection: t.Selection, Count: len(t.IDs)},
		Excluded: append([]string{}, r.ep.Exclude...),
		Protocol: r.ep.Protocol,
		Turns:    r.ep.Turns,
	}
	if r.ep.Named() {
		for _, c := range r.ep.Combinations {
			m.Experiment.Combinations = append(m.Experiment.Combinations, schemas.RunCombination{Name: c.Name, Label: c.Label, Attributes: jsonAttrs(c)})
		}
	}
	for _, sp := range r.ep.AllStages() {
		rs := schemas.RunStage{Addr: sp.Addr, CacheType: sp.Runner.CacheType(), Needs: []string{}, PerCombination: sp.PerCombination && r.ep.Named()}
		list := r.ep.Stages
		if r.ep.TurnStages != nil {
			rs.Turn = "0"
		}
		if sp.InTurn {
			list, rs.Turn = r.ep.TurnStages, "t"
		}
		for _, d := range sp.Deps {
			rs.Needs = append(rs.Needs, list[d].Addr)
		}
		for _, pd := range sp.PrevDeps {
			rs.Prev = append(rs.Prev, pd.Addr)
		}
		m.Experiment.Stages = append(m.Experiment.Stages, rs)
	}
	if !r.opts.Shard.Whole() {
		m.Shard = &schemas.RunShard{Index: r.opts.Shard.Index, Count: r.opts.Shard.Count, Tasks: []schemas.RunShardTask{}}
		for _, u := range r.units {
			m.Shard.Tasks = append(m.Shard.Tasks, schemas.RunShardTask{ID: r.tasks.IDs[u], Index: int(u)})
		}
	}
	for addr, rp := range r.plan.Resources {
		m.Resources[addr] = jsonValue(rp.Resource.Identity())
	}
	return m
}

// jsonAttrs renders a combination's own attributes for run.json.
func jsonAttrs(c *CombinationPlan) map[string]any {
	attrs, _ := jsonValue(c.Value).(map[string]any)
	delete(attrs, "name")
	delete(attrs, "label")
	return attrs
}

// jsonValue renders a cty value for run.json through the explain renderer,
// which shows resources by identity and never secrets.
func jsonValue(v cty.Value) any {
	h := cachekey.NewExplained()
	if err := h.Value("v", v); err != nil {
		return "(" + err.Error() + ")"
	}
	if _, err := h.Sum(); err != nil {
		return nil
	}
	raw, _ := json.Marshal(h.Record().Parts[0].Value)
	var out any
	_ = json.Unmarshal(raw, &out)
	return out
}
