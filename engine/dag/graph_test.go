package dag

import (
	"errors"
	"reflect"
	"testing"
)

func build(edges ...[2]string) *Graph {
	g := NewGraph()
	for _, e := range edges {
		if e[1] == "" {
			g.Add(e[0])
			continue
		}
		g.DependsOn(e[0], e[1])
	}
	return g
}

func TestCycles(t *testing.T) {
	cases := []struct {
		name  string
		g     *Graph
		wants [][]string
	}{
		{"none", build([2]string{"b", "a"}, [2]string{"c", "b"}), nil},
		{"self", build([2]string{"a", "a"}), [][]string{{"a"}}},
		{"three", build([2]string{"c", "a"}, [2]string{"a", "b"}, [2]string{"b", "c"}, [2]string{"d", "c"}),
			[][]string{{"a", "b", "c"}}},
		{"two cycles", build([2]string{"x", "y"}, [2]string{"y", "x"}, [2]string{"p", "q"}, [2]string{"q", "p"}),
			[][]string{{"p", "q"}, {"x", "y"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.g.Cycles()
			if !reflect.DeepEqual(got, c.wants) {
				t.Fatalf("cycles = %v, want %v", got, c.wants)
			}
			_, err := c.g.TopoOrder()
			var ce *CycleError
			if (len(c.wants) > 0) != errors.As(err, &ce) {
				t.Fatalf("TopoOrder error = %v", err)
			}
		})
	}
	err := (&CycleError{Cycles: [][]string{{"a", "b"}}}).Error()
	if err != "dependency cycle: a -> b -> a" {
		t.Fatalf("message %q", err)
	}
}

func TestTopoOrder(t *testing.T) {
	g := build([2]string{"score", "execute"}, [2]string{"execute", "extract"}, [2]string{"extract", "generate"},
		[2]string{"score", "generate"}, [2]string{"aaa", ""})
	got, err := g.TopoOrder()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"aaa", "generate", "extract", "execute", "score"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
}

func TestTransitiveReductionAndString(t *testing.T) {
	g := build([2]string{"c", "b"}, [2]string{"b", "a"}, [2]string{"c", "a"})
	g.TransitiveReduction()
	want := "a\nb\n  a\nc\n  b\n"
	if g.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", g.String(), want)
	}
	dot := g.DOT("p", nil)
	wantDOT := "digraph \"p\" {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n" +
		"  \"a\" [label=\"a\"];\n  \"b\" [label=\"b\"];\n  \"c\" [label=\"c\"];\n" +
		"  \"a\" -> \"b\";\n  \"b\" -> \"c\";\n}\n"
	if dot != wantDOT {
		t.Fatalf("DOT:\n%s", dot)
	}
}
