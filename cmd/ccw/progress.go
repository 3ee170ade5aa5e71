package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/ccw-dev/ccw/engine"
)

// progress renders engine events on stderr: a refreshed status line on a
// terminal, a line every interval on a pipe, JSON lines with --json.
type progress struct {
	w        io.Writer
	tty      bool
	json     bool
	interval time.Duration

	mu       sync.Mutex
	start    time.Time
	total    int
	done     int
	ran      int
	cached   int
	failed   int
	wouldRun int
	note     string
	last     time.Time
	stop     chan struct{}
	stopped  chan struct{}
}

func newProgress(w io.Writer, asJSON bool) *progress {
	p := &progress{w: w, tty: isTerminal(w), json: asJSON, interval: 10 * time.Second, start: time.Now(),
		stop: make(chan struct{}), stopped: make(chan struct{})}
	if p.tty {
		p.interval = 250 * time.Millisecond
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
}

// Event is the engine's event handler.
func (p *progress) Event(ev engine.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev.Kind {
	case engine.EventPlanned:
		p.total = ev.Total
	case engine.EventGrew:
		p.total += ev.Total
	case engine.EventNotApplicable:
		p.done++
	case engine.EventCached, engine.EventShared:
		p.cached++
		p.done++
	case engine.EventRan:
		p.ran++
		p.done++
	case engine.EventWouldRun:
		p.wouldRun++
		p.done++
	case engine.EventFailed:
		p.failed++
		p.done++
	case engine.EventNote:
		p.note = fmt.Sprintf("%s [%s]: %s", ev.Addr.Stage, ev.Addr.TaskID, ev.Note)
	}
	if p.json {
		je := jsonEvent{Time: time.Now().UTC(), Event: ev.Kind.String(), Experiment: ev.Addr.Experiment, Combo: ev.Addr.Combination,
			Stage: ev.Addr.Stage, Task: ev.Addr.TaskID, Turn: ev.Addr.Turn, Key: ev.Key, DurationMS: ev.Duration.Milliseconds(), Note: ev.Note, Total: ev.Total}
		if ev.Err != nil {
			je.Error = ev.Err.Error()
		}
		b, _ := json.Marshal(je)
		fmt.Fprintf(p.w, "%s\n", b)
		return
	}
	if ev.Kind == engine.EventFailed {
		p.clearLine()
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
			if !p.json && p.total > 0 {
				p.render()
			}
			p.mu.Unlock()
		}
	}
}

// Close stops the refresh and clears the status line.
func (p *progress) Close() {
	close(p.stop)
	<-p.stopped
	p.mu.Lock()
	p.clearLine()
	p.mu.Unlock()
}

func (p *progress) clearLine() {
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func (p *progress) render() {
	elapsed := time.Since(p.start)
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(p.ran) / s
	}
	line := fmt.Sprintf("%d/%d  ran %d  cached %d  failed %d  %.1f/s  %s", p.done, p.total, p.ran, p.cached, p.failed, rate, elapsed.Round(time.Second))
	if left := p.total - p.done; p.ran > 0 && left > 0 && rate > 0 {
		line += fmt.Sprintf("  ETA %s", time.Duration(float64(left)/rate*float64(time.Second)).Round(time.Second))
	}
	if p.note != "" {
		line += "  · " + p.note
	}
	if p.tty {
		bar := progressBar(p.done, p.total, 20)
		fmt.Fprintf(p.w, "\r\033[K%s %s", bar, truncate(line, 140))
		return
	}
	fmt.Fprintln(p.w, line)
}

func progressBar(done, total, width int) string {
	if total <= 0 {
		return ""
	}
	n := done * width / total
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", width-n) + "]"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
