package dag

import (
	"context"
	"testing"
)

// BenchmarkWalkChains walks 1140*9 chains of 55 vertices (a full sweep's
// shape: 11 turns x 5 stages) with a no-op visit: the walker's own cost.
func BenchmarkWalkChains(b *testing.B) {
	const chains, length = 1140 * 9, 55
	for i := 0; i < b.N; i++ {
		w := NewWalker(64, func(ctx context.Context, id ID) error { return nil })
		for c := 0; c < chains; c++ {
			prev := w.Add(uint64(c))
			for j := 1; j < length; j++ {
				prev = w.Add(uint64(c), prev)
			}
		}
		s := w.Run(context.Background())
		if s.Done != chains*length {
			b.Fatalf("%+v", s)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*chains*length), "ns/vertex")
}
