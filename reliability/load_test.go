package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/sim"
)

// TestLoad holds 200 concurrent sessions across the three plugins (default
// pool settings) for 10 s with calls flowing on every one: no call is lost
// or wrong, and memory does not run away. TestSoakLoad does 1,000 sessions
// for NETYARD_SOAK_DURATION (default 2m).
func TestLoad(t *testing.T) {
	runLoad(t, 200, 10*time.Second, 300*time.Millisecond)
}

func TestSoakLoad(t *testing.T) {
	if !soak() {
		t.Skip("NETYARD_SOAK=1 (make soak) runs the 1,000-session load test")
	}
	runLoad(t, 1000, soakDuration(), 1500*time.Millisecond)
}

func runLoad(t *testing.T, sessions int, hold, pace time.Duration) {
	e := newEnv(t, envOptions{fleet: sim.FleetSpec{IOS: 4, EOS: 2, Junos: 2, NETCONF: 4, HTTP: 4}})
	type target struct {
		dev  host.Device
		req  host.Request
		want string
	}
	targets := make([]target, sessions)
	for i := range targets {
		switch i % 5 {
		case 0, 1:
			d := e.cli[i%len(e.cli)]
			targets[i] = target{e.sshDevice(d, nil), sshReq, d.Hostname()}
		case 2, 3:
			d := e.nc[i%len(e.nc)]
			targets[i] = target{e.netconfDevice(d, nil), netconfReq, d.Hostname()}
		default:
			d := e.web[i%len(e.web)]
			req := apiReq
			if i%2 == 1 {
				req = restconfReq
			}
			targets[i] = target{e.apiDevice(d, nil), req, d.Hostname()}
		}
		targets[i].dev.ID = fmt.Sprintf("%s-%d", targets[i].dev.ID, i)
	}

	// Open them all, 32 at a time.
	conns := make([]*host.Conn, sessions)
	openStart := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i := range targets {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			c, err := e.h.Open(ctx, targets[i].dev, targets[i].req)
			if err != nil {
				t.Errorf("open %s: %v", targets[i].dev.ID, err)
				return
			}
			conns[i] = c
		})
	}
	wg.Wait()
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	if t.Failed() {
		return
	}
	opened := time.Since(openStart)
	_, _, mem0 := memReport(e.h)

	var calls, verified, failed atomic.Int64
	var memMid string
	var hostKBMid int
	var plugMid map[string]int
	stop := time.Now().Add(hold)
	midOnce := sync.Once{}
	for i, c := range conns {
		wg.Go(func() {
			time.Sleep(rand.N(pace)) // spread the calls
			for time.Now().Before(stop) && !t.Failed() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				calls.Add(1)
				v, err := c.DeviceInfo().GetVersion(ctx)
				cancel()
				switch {
				case err != nil:
					failed.Add(1)
					t.Errorf("%s: %v", targets[i].dev.ID, err)
				case v.Hostname != targets[i].want:
					failed.Add(1)
					t.Errorf("%s: hostname %q, want %q", targets[i].dev.ID, v.Hostname, targets[i].want)
				default:
					verified.Add(1)
				}
				if i == 0 && time.Until(stop) < hold/2 {
					midOnce.Do(func() { hostKBMid, plugMid, memMid = memReport(e.h) })
				}
				time.Sleep(pace/2 + rand.N(pace))
			}
		})
	}
	wg.Wait()
	hostKB1, plug1, mem1 := memReport(e.h)
	stats := e.h.Stats()
	t.Logf("load: %d sessions opened in %v and held %v; pools %+v", sessions, opened.Round(time.Millisecond), hold, stats)
	t.Logf("load: %d calls, %d verified, %d failed (%.0f calls/s)", calls.Load(), verified.Load(), failed.Load(), float64(calls.Load())/hold.Seconds())
	t.Logf("load: RSS after open: %s", mem0)
	t.Logf("load: RSS half-way:   %s", memMid)
	t.Logf("load: RSS at the end: %s", mem1)
	if calls.Load() != verified.Load() {
		t.Errorf("lost or wrong results: %d calls, %d verified", calls.Load(), verified.Load())
	}
	if calls.Load() < int64(sessions) {
		t.Errorf("only %d calls for %d sessions", calls.Load(), sessions)
	}
	// Flat: from half-way to the end (after warm-up), allow 25% + 32 MiB
	// per process kind for GC timing.
	flat := func(what string, mid, end int) {
		if mid > 0 && end > mid+mid/4+32<<10 {
			t.Errorf("%s RSS grew from %d KiB half-way to %d KiB at the end", what, mid, end)
		}
	}
	// The test process holds the simulator too, and under the race detector
	// its shadow memory grows with every goroutine and allocation: its RSS
	// says nothing about the host there, so it is checked only without
	// -race (make soak). Plugins run without the race detector always.
	if !raceEnabled {
		flat("host", hostKBMid, hostKB1)
	}
	for p, kb := range plug1 {
		flat(p, plugMid[p], kb)
	}
}
