package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ccw-dev/ccw/engine"
)

// progress renders engine events on stderr: on a terminal a block of live
// bars redrawn in place (per stage kind, per combination, model calls,
// tokens and dollars, an ETA that expects the turns not yet unrolled); on
// a pipe a plain line every interval; with --json one JSON object per
// event.
type progress struct {
	w        io.Writer
	tty      bool
	json     bool
	interval time.Duration
	width    int

	mu       sync.Mutex
	start    time.Time
	planned  bool
	total    int // instances known so far (grows as turns unroll)
	bound    int // instances if no task stops early
	tasks    int
	turns    int
	combos   []string
	done     int
	ran      int
	cached   int
	failed   int
	wouldRun int
	na       int
	running  int
	kinds    map[string]*kindCount
	combo    map[string]*comboCount
	// model calls
	modelRunning int
	retrying     map[string]bool // instances with a retry note still running
	retries      int
	tokensIn     int64
	tokensOut    int64
	cost         float64
	// growth, for the ETA
	grewVertices int            // instances added by unrolled turns
	grew, ended  int            // gates that unrolled a turn or ended a task's turns
	pairTurn     map[string]int // (combination, task) -> current turn
	note         string
	lines        int // lines of the last drawn block (terminal)
	stop         chan struct{}
	stopped      chan struct{}
}

type kindCount struct{ known, done, cached, running, failed, na int }

type comboCount struct {
	done, failed, ended int
	turn                int // highest turn started
}

func newProgress(w io.Writer, asJSON bool) *progress {
	return newProgressEvery(w, asJSON, 0)
}

// newProgressEvery is newProgress with the refresh interval of a pipe
// (default 10s; a terminal redraws every 250ms).
func newProgressEvery(w io.Writer, asJSON bool, interval time.Duration) *progress {
	p := &progress{w: w, tty: isTerminal(w), json: asJSON, interval: 10 * time.Second, start: time.Now(),
		kinds: map[string]*kindCount{}, combo: map[string]*comboCount{}, retrying: map[string]bool{}, pairTurn: map[string]int{},
		stop: make(chan struct{}), stopped: make(chan struct{})}
	if interval > 0 {
		p.interval = interval
	}
	if p.tty {
		p.interval = 250 * time.Millisecond
		wd, _ := termInfo(w)
		p.width = int(wd)
	}
	go p.ticker()
	return p
}

type jsonEvent struct {
	Time       time.Time `json:"time"`
	Event      string    `json:"event"`
	Experiment string    `json:"experiment,omitempty"`
	Combo      string    `json:"combination,omitempty"`
	Stage      string    `json:"stage,omitempty"`
	Task       string    `json:"task,omitempty"`
	Turn       int       `json:"turn"`
	Key        string    `json:"key,omitempty"`
	DurationMS int64     `json:"duration_ms,omitempty"`
	Error      string    `json:"error,omitempty"`
	Note       string    `json:"note,omitempty"`
	Total      int       `json:"total,omitempty"`
	Bound      int       `json:"bound,omitempty"`
	TokensIn   int64     `json:"tokens_in,omitempty"`
	TokensOut  int64     `json:"tokens_out,omitempty"`
	CostUSD    float64   `json:"cost_usd,omitempty"`
}

// modelKinds are the stage kinds that call models.
var modelKinds = map[string]bool{"generate": true, "refine": true, "simulate": true}

func kindOfStage(stage string) string {
	k, _, _ := strings.Cut(stage, ".")
	return k
}

// Event is the engine's event handler.
func (p *progress) Event(ev engine.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	kind := kindOfStage(ev.Addr.Stage)
	kc := p.kinds[kind]
	if kc == nil && kind != "" {
		kc = &kindCount{}
		p.kinds[kind] = kc
	}
	comboName := ev.Addr.Combination
	if comboName == "" {
		comboName = "(shared)"
	}
	cc := p.combo[comboName]
	if cc == nil && ev.Kind != engine.EventPlanned {
		cc = &comboCount{}
		p.combo[comboName] = cc
	}
	inst := ev.Addr.String()
	finish := func() {
		p.done++
		cc.done++
		if kc != nil {
			kc.done++
		}
	}
	endRunning := func() {
		if p.running > 0 {
			p.running--
		}
		if kc != nil && kc.running > 0 {
			kc.running--
		}
		if modelKinds[kind] && p.modelRunning > 0 {
			p.modelRunning--
		}
		delete(p.retrying, inst)
	}
	for label, n := range ev.PerStage { // EventPlanned, EventGrew
		k := kindOfStage(label)
		if p.kinds[k] == nil {
			p.kinds[k] = &kindCount{}
		}
		p.kinds[k].known += n
	}
	switch ev.Kind {
	case engine.EventPlanned:
		p.planned = true
		p.total, p.bound, p.tasks, p.turns, p.combos = ev.Total, ev.Bound, ev.Tasks, ev.Turns, ev.Combinations
	case engine.EventGrew:
		p.total += ev.Total
		p.grewVertices += ev.Total
		p.grew++
		p.pairTurn[ev.Addr.Combination+"\x00"+ev.Addr.TaskID] = ev.Addr.Turn + 1
		cc.turn = max(cc.turn, ev.Addr.Turn+1)
	case engine.EventTurnEnded:
		p.ended++
		cc.ended++
		delete(p.pairTurn, ev.Addr.Combination+"\x00"+ev.Addr.TaskID)
	case engine.EventStarted:
		p.running++
		if kc != nil {
			kc.running++
		}
		if modelKinds[kind] {
			p.modelRunning++
		}
	case engine.EventNotApplicable:
		p.na++
		if kc != nil {
			kc.na++
		}
		finish()
	case engine.EventCached, engine.EventShared:
		p.cached++
		if kc != nil {
			kc.cached++
		}
		finish()
	case engine.EventRan:
		p.ran++
		endRunning()
		p.tokensIn += ev.TokensIn
		p.tokensOut += ev.TokensOut
		p.cost += ev.CostUSD
		finish()
	case engine.EventWouldRun:
		p.wouldRun++
		finish()
	case engine.EventFailed:
		p.failed++
		cc.failed++
		if kc != nil {
			kc.failed++
		}
		endRunning()
		finish()
	case engine.EventNote:
		p.note = fmt.Sprintf("%s [%s]: %s", ev.Addr.Stage, ev.Addr.TaskID, ev.Note)
		if strings.Contains(ev.Note, "retry") {
			p.retries++
			p.retrying[inst] = true
		}
	}
	if p.json {
		je := jsonEvent{Time: time.Now().UTC(), Event: ev.Kind.String(), Experiment: ev.Addr.Experiment, Combo: ev.Addr.Combination,
			Stage: ev.Addr.Stage, Task: ev.Addr.TaskID, Turn: ev.Addr.Turn, Key: ev.Key, DurationMS: ev.Duration.Milliseconds(), Note: ev.Note,
			Total: ev.Total, Bound: ev.Bound, TokensIn: ev.TokensIn, TokensOut: ev.TokensOut, CostUSD: ev.CostUSD}
		if ev.Err != nil {
			je.Error = ev.Err.Error()
		}
		b, _ := json.Marshal(je)
		fmt.Fprintf(p.w, "%s\n", b)
		return
	}
	if ev.Kind == engine.EventFailed {
		p.clear()
		fmt.Fprintf(p.w, "failed: %v\n", ev.Err)
	}
}

func (p *progress) ticker() {
	defer close(p.stopped)
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			if !p.json && p.planned {
				p.render()
			}
			p.mu.Unlock()
		}
	}
}

// Close stops the refresh and clears the live block.
func (p *progress) Close() {
	close(p.stop)
	<-p.stopped
	p.mu.Lock()
	p.clear()
	p.mu.Unlock()
}

// clear erases the block drawn last (terminal only).
func (p *progress) clear() {
	if !p.tty || p.lines == 0 {
		return
	}
	fmt.Fprintf(p.w, "\r\033[%dA\033[J", p.lines)
	p.lines = 0
}

// expected estimates how many instances the walk will have in all: those
// known, plus for every (combination, task) pair still going the turns it
// may yet unroll, each continuing with the rate at which decided turns
// continued so far and adding the instances an unrolled turn added on
// average. It never exceeds the bound.
func (p *progress) expected() float64 {
	exp := float64(p.total)
	if p.turns == 0 || p.ended == 0 && p.grew == 0 {
		if p.turns > 0 {
			return float64(max(p.bound, p.total)) // no turn decided yet: the bound
		}
		return exp
	}
	if p.grew == 0 {
		return exp // every decided task stopped
	}
	q := float64(p.grew) / float64(p.grew+p.ended)
	perTurn := float64(p.grewVertices) / float64(p.grew)
	// Pairs at turn 0 that no gate has decided yet are not in pairTurn.
	active := p.tasks*max(1, len(p.combos)) - p.ended
	atZero := active - len(p.pairTurn)
	more := func(t int) float64 { // expected turns after turn t
		s, pk := 0.0, 1.0
		for k := t + 1; k <= p.turns; k++ {
			pk *= q
			s += pk
		}
		return s
	}
	for _, t := range p.pairTurn {
		exp += perTurn * more(t)
	}
	if atZero > 0 {
		exp += perTurn * float64(atZero) * more(0)
	}
	return math.Min(exp, float64(max(p.bound, p.total)))
}

func (p *progress) eta() (time.Duration, float64, bool) {
	elapsed := time.Since(p.start).Seconds()
	if p.done == 0 || elapsed <= 0 {
		return 0, 0, false
	}
	exp := p.expected()
	rate := float64(p.done) / elapsed
	left := exp - float64(p.done)
	if left < 0 {
		left = 0
	}
	return time.Duration(left / rate * float64(time.Second)).Round(time.Second), exp, true
}

// headline is the one-line summary: a pipe's line and the block's first.
func (p *progress) headline() string {
	elapsed := time.Since(p.start).Round(time.Second)
	line := fmt.Sprintf("%d/%d done (at most %d)  ran %d  cached %d  n/a %d  running %d  failed %d  %s",
		p.done, p.total, max(p.bound, p.total), p.ran, p.cached, p.na, p.running, p.failed, elapsed)
	if eta, exp, ok := p.eta(); ok && p.done < p.total {
		line += fmt.Sprintf("  ETA %s (expects ~%.0f in all)", eta, exp)
	}
	return line
}

func (p *progress) modelLine() string {
	s := fmt.Sprintf("model calls: %d in flight, %d retrying (%d retries so far); tokens %d in / %d out; $%.4f",
		p.modelRunning, len(p.retrying), p.retries, p.tokensIn, p.tokensOut, p.cost)
	return s
}

func (p *progress) render() {
	if !p.tty {
		line := p.headline() + "  ·  " + p.modelLine()
		if p.note != "" {
			line += "  ·  " + p.note
		}
		fmt.Fprintln(p.w, line)
		return
	}
	width := max(p.width, 60)
	var lines []string
	lines = append(lines, truncate(p.headline(), width-1))
	lines = append(lines, truncate(p.modelLine(), width-1))
	kinds := make([]string, 0, len(p.kinds))
	for k := range p.kinds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	lines = append(lines, "by stage kind                                done/known · cached · running · failed · n/a")
	for _, k := range kinds {
		c := p.kinds[k]
		lines = append(lines, truncate(fmt.Sprintf("  %-14s %s %5d/%-5d · %5d · %4d · %4d · %5d", k, bar(c.done, c.known, 20), c.done, c.known, c.cached, c.running, c.failed, c.na), width-1))
	}
	if len(p.combos) > 1 || (len(p.combos) == 1 && p.combos[0] != "") {
		lines = append(lines, fmt.Sprintf("by combination         tasks finished of %d · turn reached · failed", p.tasks))
		names := append([]string{"(shared)"}, p.combos...)
		for _, n := range names {
			c := p.combo[n]
			if c == nil {
				continue
			}
			if n == "(shared)" {
				lines = append(lines, truncate(fmt.Sprintf("  %-20s %d instances shared by every combination", n, c.done), width-1))
				continue
			}
			lines = append(lines, truncate(fmt.Sprintf("  %-20s %s %4d · turn %d/%d · %d", truncate(n, 20), bar(c.ended, p.tasks, 20), c.ended, c.turn, p.turns, c.failed), width-1))
		}
	}
	if p.note != "" {
		lines = append(lines, truncate("last note: "+p.note, width-1))
	}
	var b strings.Builder
	if p.lines > 0 {
		fmt.Fprintf(&b, "\r\033[%dA", p.lines)
	}
	b.WriteString("\033[J")
	for _, l := range lines {
		b.WriteString(l)
		b.WriteString("\n")
	}
	io.WriteString(p.w, b.String())
	p.lines = len(lines)
}

// bar draws n of total as a bar of width cells.
func bar(n, total, width int) string {
	if total <= 0 {
		return "[" + strings.Repeat(" ", width) + "]"
	}
	f := min(width, n*width/total)
	return "[" + strings.Repeat("█", f) + strings.Repeat("░", width-f) + "]"
}

func truncate(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
