package host

import (
	"context"
	"syscall"
	"time"

	"github.com/netyard/netyard/sdk"
)

// pool holds the processes of one plugin. A process serves up to
// per_process sessions; a launch in progress counts as capacity, so a burst
// of opens starts only as many processes as it needs.
type pool struct {
	h      *Host
	m      *sdk.Manifest
	policy sdk.SessionPolicy
	procs  []*process // guarded by h.mu
}

// PoolStats describes one plugin's processes.
type PoolStats struct {
	Plugin    string
	Processes int
	Sessions  int
	PIDs      []int
}

// acquire reserves a session slot in a live process, launching one if none
// has room, and waits (honouring ctx) for it to be ready.
func (p *pool) acquire(ctx context.Context) (*process, error) {
	h := p.h
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, &StateError{State: StateClosed, Plugin: p.m.Name, Reason: "the host is closed"}
	}
	var proc *process
	for _, c := range p.procs {
		if !c.dead && c.sessions < p.policy.PerProcess && c.assigned < p.policy.MaxUses {
			proc = c
			break
		}
	}
	launch := proc == nil
	if launch {
		proc = &process{plugin: p.m.Name, ready: make(chan struct{})}
		p.procs = append(p.procs, proc)
		h.launches.Add(1) // under h.mu: Host.Close, which sets closed under it, waits for this launch
	}
	proc.sessions++
	proc.assigned++
	h.mu.Unlock()

	if launch {
		// The launch belongs to the pool, not to this caller: others may be
		// waiting for the same process, and this caller may give up (its
		// ctx) before it is done. Bound it by the start timeout only;
		// Host.Close waits for it.
		go func() {
			defer h.launches.Done()
			lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.cfg.StartTimeout+5*time.Second)
			started, err := h.launch(lctx, p.m)
			cancel()
			h.mu.Lock()
			if err != nil {
				proc.err, proc.dead, proc.deadWhy = err, true, "launch failed"
				p.remove(proc)
			} else {
				proc.client, proc.rpc, proc.pid = started.client, started.rpc, started.pid
				if h.closed {
					proc.dead, proc.deadWhy = true, "host closed"
					p.remove(proc)
				}
			}
			closed := h.closed
			close(proc.ready)
			h.mu.Unlock()
			if err == nil && closed {
				started.kill()
			}
		}()
	}

	select {
	case <-proc.ready:
	case <-ctx.Done():
		p.release(proc)
		return nil, &CreationError{Plugin: p.m.Name, Retryable: true, Reason: "cancelled while the plugin was starting", base: base{Cause: ctx.Err()}}
	}
	h.mu.Lock()
	err, dead := proc.err, proc.dead
	h.mu.Unlock()
	if err != nil {
		p.release(proc)
		return nil, err
	}
	if dead {
		p.release(proc)
		return nil, &StateError{State: StateClosed, Plugin: p.m.Name, Reason: "the host is closed"}
	}
	return proc, nil
}

// release gives back a session slot and applies on_close and max_uses.
func (p *pool) release(proc *process) {
	h := p.h
	h.mu.Lock()
	proc.sessions--
	var kill bool
	if proc.sessions == 0 && !proc.dead && proc.rpc != nil {
		if p.policy.OnClose == "kill" || proc.assigned >= p.policy.MaxUses {
			proc.dead, proc.deadWhy = true, "recycled"
			p.remove(proc)
			kill = true
		} else {
			proc.idleSince = time.Now()
		}
	}
	h.mu.Unlock()
	if kill {
		proc.kill()
	}
}

// markDead takes a process out of service (crashed or hung); its sessions
// answer State errors from now on. It is killed right away.
func (p *pool) markDead(proc *process, why string) {
	h := p.h
	h.mu.Lock()
	already := proc.dead
	if !already {
		proc.dead, proc.deadWhy = true, why
		p.remove(proc)
		// Counted while h.mu is held, so Host.Close (which marks every
		// process dead under h.mu first) either waits for it or kills the
		// process itself.
		h.launches.Add(1)
	}
	h.mu.Unlock()
	if already {
		return // whoever marked it dead kills it
	}
	h.log.Warn("plugin process taken out of service", "plugin", p.m.Name, "pid", proc.pid, "reason", why)
	// SIGKILL now, so the process stops serving at once; go-plugin's
	// clean-up (waiting for the exit, closing pipes) does not hold up the
	// caller. Host.Close waits for it.
	if proc.pid > 0 {
		_ = syscall.Kill(-proc.pid, syscall.SIGKILL)
	}
	go func() {
		defer h.launches.Done()
		proc.killNow()
	}()
}

func (p *pool) isDead(proc *process) (bool, string) {
	p.h.mu.Lock()
	defer p.h.mu.Unlock()
	return proc.dead, proc.deadWhy
}

// remove drops proc from the pool; h.mu is held.
func (p *pool) remove(proc *process) {
	for i, c := range p.procs {
		if c == proc {
			p.procs = append(p.procs[:i], p.procs[i+1:]...)
			return
		}
	}
}

// reapIdle kills processes idle past idle_timeout; h.mu is held.
func (p *pool) reapIdle(now time.Time) []*process {
	var out []*process
	for _, c := range p.procs {
		if c.rpc != nil && !c.dead && c.sessions == 0 && now.Sub(c.idleSince) >= time.Duration(p.policy.IdleTimeout) {
			c.dead, c.deadWhy = true, "idle"
			out = append(out, c)
		}
	}
	for _, c := range out {
		p.remove(c)
	}
	return out
}

func (p *pool) stats() PoolStats {
	s := PoolStats{Plugin: p.m.Name}
	for _, c := range p.procs {
		if c.rpc == nil {
			continue
		}
		s.Processes++
		s.Sessions += c.sessions
		s.PIDs = append(s.PIDs, c.pid)
	}
	return s
}
