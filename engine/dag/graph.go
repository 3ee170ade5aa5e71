package dag

import (
	"fmt"
	"sort"
	"strings"
)

// Graph is a directed graph of named vertices. Edges run from a dependency
// to its dependent. The zero value is not usable; call NewGraph.
type Graph struct {
	names []string
	index map[string]int
	deps  []map[int]bool // deps[v]: what v depends on
	users []map[int]bool // users[v]: what depends on v
}

// NewGraph returns an empty graph.
func NewGraph() *Graph { return &Graph{index: map[string]int{}} }

// Add adds a vertex (idempotent) and returns its index.
func (g *Graph) Add(name string) int {
	if i, ok := g.index[name]; ok {
		return i
	}
	i := len(g.names)
	g.names = append(g.names, name)
	g.index[name] = i
	g.deps = append(g.deps, map[int]bool{})
	g.users = append(g.users, map[int]bool{})
	return i
}

// Has reports whether the vertex exists.
func (g *Graph) Has(name string) bool { _, ok := g.index[name]; return ok }

// DependsOn records that v needs dep. Both are added if missing.
func (g *Graph) DependsOn(v, dep string) {
	a, b := g.Add(v), g.Add(dep)
	g.deps[a][b] = true
	g.users[b][a] = true
}

// Vertices returns the vertex names, sorted.
func (g *Graph) Vertices() []string {
	out := append([]string(nil), g.names...)
	sort.Strings(out)
	return out
}

// Deps returns what v depends on, sorted.
func (g *Graph) Deps(v string) []string { return g.sortedNames(g.deps[g.index[v]]) }

// Dependents returns what depends on v, sorted.
func (g *Graph) Dependents(v string) []string { return g.sortedNames(g.users[g.index[v]]) }

func (g *Graph) sortedNames(set map[int]bool) []string {
	out := make([]string, 0, len(set))
	for i := range set {
		out = append(out, g.names[i])
	}
	sort.Strings(out)
	return out
}

// Cycles returns every cycle (strongly connected component of more than one
// vertex, or a vertex that depends on itself). Each cycle is listed in
// dependency order starting at its lexically smallest vertex, and the
// cycles are sorted, so the report is stable.
func (g *Graph) Cycles() [][]string {
	var out [][]string
	for _, scc := range g.tarjan() {
		if len(scc) == 1 && !g.deps[scc[0]][scc[0]] {
			continue
		}
		out = append(out, g.normalise(scc))
	}
	sort.Slice(out, func(i, j int) bool { return strings.Join(out[i], " ") < strings.Join(out[j], " ") })
	return out
}

// normalise orders an SCC as a walk along dependency edges from its
// smallest name, so "a needs b needs c needs a" reads a, b, c.
func (g *Graph) normalise(scc []int) []string {
	in := map[int]bool{}
	start := scc[0]
	for _, v := range scc {
		in[v] = true
		if g.names[v] < g.names[start] {
			start = v
		}
	}
	order := []string{g.names[start]}
	seen := map[int]bool{start: true}
	for cur := start; ; {
		next := -1
		for _, d := range g.sortedIdx(g.deps[cur]) {
			if in[d] && !seen[d] {
				next = d
				break
			}
		}
		if next < 0 {
			break
		}
		seen[next] = true
		order = append(order, g.names[next])
		cur = next
	}
	for _, v := range scc { // vertices not on the simple walk, if any
		if !seen[v] {
			order = append(order, g.names[v])
		}
	}
	return order
}

func (g *Graph) sortedIdx(set map[int]bool) []int {
	out := make([]int, 0, len(set))
	for i := range set {
		out = append(out, i)
	}
	sort.Slice(out, func(a, b int) bool { return g.names[out[a]] < g.names[out[b]] })
	return out
}

// tarjan returns the strongly connected components.
func (g *Graph) tarjan() [][]int {
	n := len(g.names)
	index, low := make([]int, n), make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	var out [][]int
	next := 0
	var strong func(v int)
	strong = func(v int) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range g.sortedIdx(g.deps[v]) {
			if index[w] < 0 {
				strong(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			var scc []int
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				scc = append(scc, w)
				if w == v {
					break
				}
			}
			out = append(out, scc)
		}
	}
	for _, v := range g.sortedIdx(allOf(n)) {
		if index[v] < 0 {
			strong(v)
		}
	}
	return out
}

func allOf(n int) map[int]bool {
	m := make(map[int]bool, n)
	for i := 0; i < n; i++ {
		m[i] = true
	}
	return m
}

// CycleError reports the cycles of a graph.
type CycleError struct{ Cycles [][]string }

func (e *CycleError) Error() string {
	parts := make([]string, len(e.Cycles))
	for i, c := range e.Cycles {
		parts[i] = strings.Join(append(c, c[0]), " -> ")
	}
	return "dependency cycle: " + strings.Join(parts, "; ")
}

// TopoOrder returns the vertices with every dependency before its
// dependents; among vertices that are ready together, names sort. It
// returns a *CycleError if the graph has cycles.
func (g *Graph) TopoOrder() ([]string, error) {
	if c := g.Cycles(); len(c) > 0 {
		return nil, &CycleError{Cycles: c}
	}
	pending := make([]int, len(g.names))
	var ready []int
	for v := range g.names {
		pending[v] = len(g.deps[v])
		if pending[v] == 0 {
			ready = append(ready, v)
		}
	}
	var out []string
	for len(ready) > 0 {
		sort.Slice(ready, func(a, b int) bool { return g.names[ready[a]] < g.names[ready[b]] })
		v := ready[0]
		ready = ready[1:]
		out = append(out, g.names[v])
		for u := range g.users[v] {
			if pending[u]--; pending[u] == 0 {
				ready = append(ready, u)
			}
		}
	}
	return out, nil
}

// TransitiveReduction removes every edge implied by a longer path. The
// graph must be acyclic.
func (g *Graph) TransitiveReduction() {
	for v := range g.names {
		for d := range g.deps[v] {
			// Drop v->d if d is reachable from another direct dependency of v.
			for other := range g.deps[v] {
				if other != d && g.reaches(other, d) {
					delete(g.deps[v], d)
					delete(g.users[d], v)
					break
				}
			}
		}
	}
}

// reaches reports whether dep is reachable from v along dependency edges.
func (g *Graph) reaches(v, dep int) bool {
	seen := map[int]bool{}
	stack := []int{v}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for d := range g.deps[x] {
			if d == dep {
				return true
			}
			if !seen[d] {
				seen[d] = true
				stack = append(stack, d)
			}
		}
	}
	return false
}

// String renders the graph one vertex per line, followed by its
// dependencies indented, all sorted: stable enough for golden files.
func (g *Graph) String() string {
	var b strings.Builder
	for _, v := range g.Vertices() {
		b.WriteString(v + "\n")
		for _, d := range g.Deps(v) {
			b.WriteString("  " + d + "\n")
		}
	}
	return b.String()
}

// DOT renders the graph in Graphviz syntax with edges from dependency to
// dependent. label, when not nil, gives each vertex's label.
func (g *Graph) DOT(name string, label func(v string) string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %q {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n", name)
	for _, v := range g.Vertices() {
		l := v
		if label != nil {
			l = label(v)
		}
		fmt.Fprintf(&b, "  %q [label=%q];\n", v, l)
	}
	for _, v := range g.Vertices() {
		for _, d := range g.Deps(v) {
			fmt.Fprintf(&b, "  %q -> %q;\n", d, v)
		}
	}
	b.WriteString("}\n")
	return b.String()
}
