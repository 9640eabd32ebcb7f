// Package host is what a worker imports to get connections to devices from
// netyard connection plugins.
//
// New discovers plugin manifests (nothing is launched); Open resolves the
// plugin for a device, launches or reuses its process and opens a session;
// With does the same for the span of a function and always closes. Close on
// the Host kills every plugin process it started.
package host

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/netyard/netyard/sdk"
)

// Host discovers, launches and pools connection plugins. It is safe for
// concurrent use.
type Host struct {
	cfg Config
	log hclog.Logger
	reg *Registry
	tls hostTLS

	mu     sync.Mutex
	pools  map[string]*pool
	closed bool

	stop     chan struct{}
	done     chan struct{}
	launches sync.WaitGroup // launches and kills in flight
}

// New discovers the plugins of cfg. It fails when a manifest is invalid or
// two manifests conflict, unless cfg.SkipBadPlugins is set; it never starts
// a plugin.
func New(cfg Config) (*Host, error) {
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 10 * time.Second
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 5 * time.Minute
	}
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = sdk.MaxMessageSize
	}
	reg := Discover(cfg)
	if probs := reg.Problems(); len(probs) > 0 {
		if !cfg.SkipBadPlugins {
			return nil, errors.Join(probs...)
		}
		for _, p := range probs {
			cfg.Logger.Warn("plugin skipped", "error", p)
		}
	}
	h := &Host{cfg: cfg, log: cfg.Logger, reg: reg, pools: map[string]*pool{},
		stop: make(chan struct{}), done: make(chan struct{})}
	go h.reaper()
	return h, nil
}

// Registry returns what discovery found.
func (h *Host) Registry() *Registry { return h.reg }

// Resolve picks the plugin entry for a device without launching anything.
func (h *Host) Resolve(d Device, req Request) (*Resolution, error) { return h.reg.Resolve(d, req) }

// Open is get_connection: it validates the device, resolves the plugin,
// launches or reuses a process and opens a session, connected unless
// req.Deferred. Always Close the returned Conn.
func (h *Host) Open(ctx context.Context, d Device, req Request) (*Conn, error) {
	res, err := h.reg.Resolve(d, req)
	if err != nil {
		return nil, err
	}
	for _, w := range res.Warnings {
		h.log.Warn(w, "device", deviceID(d))
	}
	p := h.pool(res.Entry.Manifest)
	c := &Conn{h: h, pool: p, dev: d, id: deviceID(d), entry: res.Entry}
	// A process can die between being picked and serving the open; one
	// retry on a fresh process hides that from the caller.
	for attempt := 0; ; attempt++ {
		proc, err := p.acquire(ctx)
		if err != nil {
			return nil, withDevice(err, c.id)
		}
		c.proc = proc
		var sid string
		err = c.do(ctx, "Open", func(ctx context.Context) error {
			resp, err := proc.rpc.OpenSession(ctx, openRequest(d, res.Entry, req.Deferred))
			sid = resp.GetSessionId()
			return err
		})
		if err == nil {
			c.sid, c.connected = sid, !req.Deferred
			h.log.Debug("connection opened", "device", c.id, "plugin", res.Entry.Plugin, "pid", proc.pid, "deferred", req.Deferred)
			return c, nil
		}
		p.release(proc)
		var se *StateError
		if attempt == 0 && errors.As(err, &se) && se.State == StatePluginDied {
			continue
		}
		var oe *OperationError
		if errors.As(err, &oe) {
			// Opening connects: a failure there is a failed creation.
			return nil, &CreationError{base: oe.base, Plugin: oe.Plugin, Reason: "opening the session: " + oe.Reason, Retryable: oe.Retryable}
		}
		return nil, err
	}
}

// With is the connect() context manager: it opens a connection, runs fn and
// closes the connection on every path, panics included. fn's error wins over
// Close's.
func (h *Host) With(ctx context.Context, d Device, req Request, fn func(*Conn) error) (err error) {
	c, err := h.Open(ctx, d, req)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := c.Close(); err == nil {
			err = cerr
		}
	}()
	return fn(c)
}

// Verify launches the named plugin once, outside the pool, checking its
// binary (trust, checksums) and its handshake Describe against the
// manifest, then stops it.
func (h *Host) Verify(ctx context.Context, plugin string) error {
	m := h.reg.Manifest(plugin)
	if m == nil {
		return &PluginNotFoundError{Platform: "*", Library: plugin}
	}
	p, err := h.launch(ctx, m)
	if err != nil {
		return err
	}
	p.kill()
	return nil
}

// Stats reports the running processes per plugin.
func (h *Host) Stats() []PoolStats {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []PoolStats
	for _, name := range sortedKeys(h.pools) {
		out = append(out, h.pools[name].stats())
	}
	return out
}

// Close kills every plugin process; connections still open answer State
// errors afterwards. It waits until the processes are gone.
func (h *Host) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	var procs []*process
	for _, p := range h.pools {
		for _, c := range p.procs {
			if c.rpc != nil {
				c.dead, c.deadWhy = true, "host closed"
				procs = append(procs, c)
			}
		}
		p.procs = nil
	}
	h.mu.Unlock()
	close(h.stop)
	<-h.done
	h.launches.Wait() // a launch that finishes now sees closed and kills its process
	var wg sync.WaitGroup
	for _, c := range procs {
		wg.Add(1)
		go func() { defer wg.Done(); c.kill() }()
	}
	wg.Wait()
	return nil
}

func (h *Host) pool(m *sdk.Manifest) *pool {
	h.mu.Lock()
	defer h.mu.Unlock()
	p, ok := h.pools[m.Name]
	if !ok {
		p = &pool{h: h, m: m, policy: h.cfg.policy(m)}
		h.pools[m.Name] = p
	}
	return p
}

// reaper kills processes idle past their plugin's idle_timeout.
func (h *Host) reaper() {
	defer close(h.done)
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case now := <-t.C:
			h.mu.Lock()
			var idle []*process
			for _, p := range h.pools {
				idle = append(idle, p.reapIdle(now)...)
			}
			h.mu.Unlock()
			for _, c := range idle {
				h.log.Debug("plugin process idle; stopping", "plugin", c.plugin, "pid", c.pid)
				c.kill()
			}
		}
	}
}
