package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// killWait bounds how long a worker may take to report a child it was told
// to kill; past it the worker is replaced.
const killWait = 10 * time.Second

func (b *warm) run(ctx context.Context, j Job, l Limits) (Result, error) {
	m := marks{start: time.Now()}
	w, err := b.get(l)
	if err != nil {
		return Result{}, err
	}
	r, replace, err := b.runOn(ctx, w, j, l, &m)
	b.put(w, replace || err != nil)
	if err != nil {
		return Result{}, err
	}
	m.end = time.Now()
	r.Duration, r.Phases = m.end.Sub(m.start), m.phases()
	return r, nil
}

// runOn runs one job on worker w, noting the moments of its phases in m.
// replace says w must not be used again.
func (b *warm) runOn(ctx context.Context, w *worker, j Job, l Limits, m *marks) (r Result, replace bool, err error) {
	w.runs++
	var group *runGroup
	if b.iso.cg != nil {
		if group, err = b.iso.cg.newGroup(l); err != nil {
			return Result{}, true, err
		}
		defer group.remove()
	}
	nonce := newNonce()
	head := workerHead{Dir: "/tmp/" + workDirName(nonce), Tmp: "/tmp", Rlimits: harnessRlimits(l, group != nil),
		Want: topLevel(Imports(j.Code + "\n" + j.Test))}
	if w.hostDir != "" {
		head.Dir = w.hostDir + "/" + workDirName(nonce)
		head.Tmp = head.Dir
	}
	// The child joins its cgroup through files opened here: it cannot see
	// the cgroup tree, and the open files carry our right to move it.
	var procs []*os.File
	if group != nil {
		for _, f := range group.procsFiles() {
			pf, err := os.OpenFile(f, os.O_WRONLY, 0)
			if err != nil {
				return Result{}, true, fmt.Errorf("cgroup: %w", err)
			}
			defer pf.Close()
			procs = append(procs, pf)
		}
		head.Cgroups = len(procs)
	}
	hb, err := json.Marshal(head)
	if err != nil {
		return Result{}, false, fmt.Errorf("encode job: %w", err)
	}
	job, err := encodeJob(j, l, nonce, nil, "")
	if err != nil {
		return Result{}, false, err
	}
	p, err := newPipes()
	if err != nil {
		return Result{}, true, err
	}
	defer p.closeAll()
	if err := w.send(hb, append([]*os.File{p.jobR, p.outW, p.resW}, procs...)...); err != nil {
		return Result{}, true, err
	}
	m.sent = time.Now()
	p.closeChildEnds()
	go func() {
		p.jobW.Write(job) // EPIPE when the child died early: its exit tells why
		p.jobW.Close()
	}()
	wt := newWatch(nonce, l, b.cfg.Fidelity)
	wt.follow(p.resR, p.outR)

	kill := func() {
		if group != nil {
			group.kill()
		}
		w.send([]byte(`{"t":"kill"}`))
	}
	// The worker reports the end of the child; a worker that died ends it too.
	var reported *workerMsg // written by the goroutine before it closes ended
	var forked time.Time    // likewise
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		for {
			select {
			case msg := <-w.msgs:
				switch msg.T {
				case "started":
					forked = time.Now()
				case "exit":
					reported = &msg
					return
				}
			case <-w.dead:
				return
			}
		}
	}()
	if group != nil {
		watchCPU(ctx, group.cpu, l.Memory, ended)
	}
	sup := supervision{limits: l, watch: wt, ended: ended, pidsHit: group.forkRefused, kill: kill, grace: killWait}
	killedAt, err := sup.await(ctx)
	switch {
	case errors.Is(err, errNotEnded):
		replace = true // a worker that does not report its child is not trusted again
	case err != nil:
		wt.stop(drainWait, p.unblock)
		return Result{}, true, err
	}
	var exit *workerMsg
	select {
	case <-ended:
		exit, m.forked = reported, forked
		if exit == nil {
			replace = true // the worker died
		}
	default:
		replace = true
	}
	if group != nil {
		group.kill() // whatever the child left in its cgroup
	}
	if exit != nil && exit.Leak != "" {
		replace = true
	}
	wt.stop(drainWait, p.unblock)
	var end ending
	switch {
	case killedAt != "":
		end = limitEnding(killedAt, l)
	case exit == nil:
		end = ending{Status: Crash, Message: "crashed: the warm worker running the job died"}
		if group != nil && group.ooms() > 0 {
			end = limitEnding("memory", l)
		}
	default:
		end = exitStatusEnding(exit.Exit, syscall.Signal(exit.Signal), group, l)
	}
	r = wt.result(end)
	blamePids(&r, group.forkRefused())
	r.Output = wt.out.text()
	wt.coll.mark(m)
	return r, replace, nil
}
