package reliability

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/internal/testenv"
	"github.com/netyard/netyard/sdk"
	"github.com/netyard/netyard/sim"
)

// chaosConfig sizes one chaos run.
type chaosConfig struct {
	cycles      int           // open/call/close cycles in all
	workers     int           // concurrent cycles
	killEvery   time.Duration // SIGKILL a random plugin process this often
	faultEvery  time.Duration // set a random device fault this often
	openTimeout time.Duration
	callTimeout time.Duration
}

// Slack over a call's deadline: when a call reaches its deadline the host
// asks the plugin process for a health answer (1 s deadline, host/conn.go)
// before it decides between "slow device" and "hung plugin". So a call may
// return about a second after its deadline, more on a loaded 2-core
// machine; this bound only tells a late answer from a hang.
const deadlineSlack = 3 * time.Second

// TestChaos: open/call/close cycles across the three plugins against the
// simulator while a chaos loop SIGKILLs random plugin processes and the
// simulator drops or hangs connections. Every operation returns within its
// deadline (plus the host's health-check slack) with a verified result or a
// typed error, and afterwards no plugin process, ssh process, goroutine or
// file descriptor is left.
func TestChaos(t *testing.T) {
	runChaos(t, chaosConfig{cycles: 1000, workers: 10, killEvery: 400 * time.Millisecond, faultEvery: 150 * time.Millisecond,
		openTimeout: 3 * time.Second, callTimeout: time.Second})
}

// TestSoakChaos is TestChaos with 20,000 cycles (make soak).
func TestSoakChaos(t *testing.T) {
	if !soak() {
		t.Skip("NETYARD_SOAK=1 (make soak) runs the long chaos test")
	}
	runChaos(t, chaosConfig{cycles: 20000, workers: 16, killEvery: 400 * time.Millisecond, faultEvery: 150 * time.Millisecond,
		openTimeout: 3 * time.Second, callTimeout: time.Second})
}

// chaosStats counts what happened, by operation and error kind.
type chaosStats struct {
	mu        sync.Mutex
	errs      map[string]int // "op kind" -> count
	samples   map[string]string
	calls     int
	verified  int
	maxOver   time.Duration
	maxOverOp string
	faulted   map[string]int // cycles that started on a faulty device, by type and fault
}

func (s *chaosStats) record(op string, err error, over time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if over > s.maxOver {
		s.maxOver, s.maxOverOp = over, op
	}
	if err == nil {
		return
	}
	k := op + " " + host.Kind(err)
	var se *host.StateError
	if errors.As(err, &se) {
		k += "(" + se.State + ")"
	}
	s.errs[k]++
	if _, ok := s.samples[k]; !ok {
		s.samples[k] = err.Error()
	}
}

func runChaos(t *testing.T, cfg chaosConfig) {
	fdsBefore := testenv.OpenFDs(t)
	e := newEnv(t, envOptions{
		fleet: sim.FleetSpec{IOS: 2, EOS: 2, Junos: 1, NETCONF: 3, HTTP: 3},
		sessions: map[string]sdk.SessionPolicy{
			"scrapli-ssh": {PerProcess: 4}, "netconf": {PerProcess: 4}, "httpx-api": {PerProcess: 4},
		},
	})
	devices := append(append(append([]*sim.Device{}, e.cli...), e.nc...), e.web...)
	_, _, mem0 := memReport(e.h)

	stats := &chaosStats{errs: map[string]int{}, samples: map[string]string{}, faulted: map[string]int{}}
	var kills, faults atomic.Int64
	var next atomic.Int64
	stop := make(chan struct{})
	var bg sync.WaitGroup

	// Chaos: SIGKILL a random plugin process.
	bg.Go(func() {
		tk := time.NewTicker(cfg.killEvery)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
			}
			var all []int
			for _, pids := range pluginPIDs(e.h) {
				all = append(all, pids...)
			}
			if len(all) == 0 {
				continue
			}
			if syscall.Kill(all[rand.IntN(len(all))], syscall.SIGKILL) == nil {
				kills.Add(1)
			}
		}
	})
	// Chaos: a random device drops connections after a few commands, hangs,
	// or slows down, for a while: long enough for a hang to outlast a call's
	// deadline (the simulator answers a hung CLI command once the knob
	// clears).
	bg.Go(func() {
		tk := time.NewTicker(cfg.faultEvery)
		defer tk.Stop()
		until := map[*sim.Device]time.Time{}
		defer func() {
			for _, d := range devices {
				d.SetFaults(sim.Faults{})
			}
		}()
		for {
			select {
			case <-stop:
				return
			case now := <-tk.C:
				for d, u := range until {
					if now.After(u) {
						d.SetFaults(sim.Faults{})
						delete(until, d)
					}
				}
			}
			d := devices[rand.IntN(len(devices))]
			var f sim.Faults
			switch rand.IntN(4) {
			case 0:
				f.DropAfter = 1 + rand.IntN(6)
			case 1:
				f.Hang = true
			case 2:
				f.Latency = time.Duration(rand.IntN(300)) * time.Millisecond
			case 3: // healthy again
			}
			d.SetFaults(f)
			faults.Add(1)
			until[d] = time.Now().Add(time.Duration(300+rand.IntN(2200)) * time.Millisecond)
		}
	})

	start := time.Now()
	var wg sync.WaitGroup
	for range cfg.workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1))
				if i > cfg.cycles || t.Failed() {
					return
				}
				chaosCycle(t, e, stats, i, cfg)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	_, _, memEnd := memReport(e.h)
	close(stop)
	bg.Wait()

	// Afterwards: nothing left.
	e.close()
	for _, p := range plugins {
		testenv.WaitNoProcesses(t, e.binary(p), 5*time.Second)
	}
	if ssh := e.sshProcesses(); len(ssh) > 0 {
		t.Errorf("ssh processes left: %v", ssh)
	}
	goleak.VerifyNone(t, goleak.IgnoreCurrent())
	fdsAfter := testenv.OpenFDs(t)
	for deadline := time.Now().Add(2 * time.Second); fdsAfter > fdsBefore && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		fdsAfter = testenv.OpenFDs(t)
	}
	if fdsAfter > fdsBefore {
		t.Errorf("fd leak: %d open before, %d after", fdsBefore, fdsAfter)
	}

	var kinds []string
	errTotal := 0
	for k, n := range stats.errs {
		kinds = append(kinds, fmt.Sprintf("%s=%d", k, n))
		errTotal += n
	}
	sort.Strings(kinds)
	t.Logf("chaos: %d cycles in %v (%d workers), %d plugin processes SIGKILLed, %d device faults set, %d calls, %d verified results, %d errors: %s",
		cfg.cycles, elapsed.Round(time.Millisecond), cfg.workers, kills.Load(), faults.Load(), stats.calls, stats.verified, errTotal, strings.Join(kinds, " "))
	var fk []string
	for k, n := range stats.faulted {
		fk = append(fk, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(fk)
	t.Logf("chaos: cycles that ended while their device was faulty: %s", strings.Join(fk, " "))
	t.Logf("chaos: largest overrun past a deadline %v (%s); fds before %d after %d; RSS start: %s; end: %s", stats.maxOver.Round(time.Millisecond), stats.maxOverOp, fdsBefore, fdsAfter, mem0, memEnd)
	if testing.Verbose() {
		for k, s := range stats.samples {
			t.Logf("sample %s: %s", k, s)
		}
	}
	if kills.Load() == 0 {
		t.Error("the chaos loop killed no plugin process")
	}
	if stats.verified < cfg.cycles/2 {
		t.Errorf("only %d of %d cycles verified a result: chaos too strong to prove anything", stats.verified, cfg.cycles)
	}
}

// chaosCycle opens a connection to a device through one of the three
// plugins (by cycle number), makes calls, checks their results and closes.
func chaosCycle(t *testing.T, e *env, st *chaosStats, i int, cfg chaosConfig) {
	var dev host.Device
	var req host.Request
	var want string
	var simDev *sim.Device
	defer func() {
		if f := simDev.Faults(); f != (sim.Faults{}) {
			k := req.Type + " "
			switch {
			case f.Hang:
				k += "hang"
			case f.DropAfter > 0:
				k += "drop"
			default:
				k += "latency"
			}
			st.mu.Lock()
			st.faulted[k]++
			st.mu.Unlock()
		}
	}()
	switch i % 4 {
	case 0:
		d := e.cli[i/4%len(e.cli)]
		opts := map[string]string{}
		if i%8 == 0 { // half the SSH cycles run ssh(1) through scrapligo's system transport
			opts["transport"] = "system"
		}
		dev, req, want, simDev = e.sshDevice(d, opts), sshReq, d.Hostname(), d
	case 1:
		d := e.nc[i/4%len(e.nc)]
		dev, req, want, simDev = e.netconfDevice(d, nil), netconfReq, d.Hostname(), d
	case 2:
		d := e.web[i/4%len(e.web)]
		dev, req, want, simDev = e.apiDevice(d, nil), apiReq, d.Hostname(), d
	case 3:
		d := e.web[i/4%len(e.web)]
		dev, req, want, simDev = e.apiDevice(d, nil), restconfReq, d.Hostname(), d
	}
	timed := func(op string, d time.Duration, f func(ctx context.Context) error) error {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		start := time.Now()
		err := f(ctx)
		over := time.Since(start) - d
		st.record(dev.ID+" "+op, nil, over) // overrun bookkeeping only
		if over > deadlineSlack {
			t.Errorf("%s %s via %s returned %v after its %v deadline: %v", op, dev.ID, req.Type, over, d, err)
		}
		wantTyped(t, op+" "+dev.ID, err)
		st.record(req.Type+" "+op, err, 0)
		return err
	}
	var c *host.Conn
	if err := timed("open", cfg.openTimeout, func(ctx context.Context) (err error) {
		c, err = e.h.Open(ctx, dev, req)
		return err
	}); err != nil {
		return
	}
	for range 2 {
		st.mu.Lock()
		st.calls++
		st.mu.Unlock()
		var got sdk.DeviceInfo
		err := timed("call", cfg.callTimeout, func(ctx context.Context) (err error) {
			got, err = c.DeviceInfo().GetVersion(ctx)
			return err
		})
		if err == nil {
			if got.Hostname != want {
				t.Errorf("%s via %s: hostname %q, want %q", dev.ID, req.Type, got.Hostname, want)
			}
			st.mu.Lock()
			st.verified++
			st.mu.Unlock()
		}
		if err != nil {
			break
		}
	}
	// Close has its own 10 s bound in the host.
	start := time.Now()
	err := c.Close()
	if d := time.Since(start); d > 10*time.Second+deadlineSlack {
		t.Errorf("close %s took %v", dev.ID, d)
	}
	wantTyped(t, "close "+dev.ID, err)
	st.record(req.Type+" close", err, 0)
}
