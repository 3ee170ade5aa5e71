package score

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ccw-dev/ccw/schemas"
)

// BenchmarkLive computes the metrics of a full sweep (1140 tasks × 9
// combinations × turns 0..10, every row present as in fidelity =
// "original") and reports the time against a floor measured in the same
// run: sorting the same rows by address, which the engine does anyway
// before it writes turns.parquet.
func BenchmarkLive(b *testing.B) {
	var rows []schemas.Turn
	var combs []Combination
	for c := range 9 {
		combs = append(combs, Combination{Name: fmt.Sprint("c", c), Label: fmt.Sprint("C", c)})
		for task := range 1140 {
			for turn := 0; turn <= DefaultTurns; turn++ {
				rows = append(rows, schemas.Turn{Experiment: "e", Combination: combs[c].Name, Stage: "score.turn",
					TaskID: fmt.Sprint("BigCodeBench/", task), TaskIndex: int32(task), Turn: int32(turn), Passed: (task*7+turn*c)%13 == 0})
			}
		}
	}
	spec := Spec{Experiment: "e", Combinations: combs, RerunSolved: true}
	var live, floor time.Duration
	for b.Loop() {
		st := time.Now()
		if _, err := Live(rows, spec); err != nil {
			b.Fatal(err)
		}
		live += time.Since(st)
		shuffled := slices.Clone(rows)
		slices.Reverse(shuffled)
		st = time.Now()
		slices.SortFunc(shuffled, func(x, y schemas.Turn) int {
			return cmp.Or(cmp.Compare(x.Combination, y.Combination), cmp.Compare(x.TaskIndex, y.TaskIndex), cmp.Compare(x.Turn, y.Turn))
		})
		floor += time.Since(st)
	}
	b.ReportMetric(float64(live.Nanoseconds())/float64(b.N)/float64(len(rows)), "ns/row")
	b.ReportMetric(float64(live)/float64(floor), "x-sort-floor")
}
