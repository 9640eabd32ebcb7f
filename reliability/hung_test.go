package reliability

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/internal/testenv"
	"github.com/netyard/netyard/sim"
)

// TestHungPluginAmongOthers: for each of the three plugins in turn, its
// process stops answering (SIGSTOP) while sessions in the other two plugins
// keep working; the stuck call fails with a State error shortly after its
// deadline, the process is killed, the other plugins' sessions are
// unaffected and the next open gets a new process. (host/host_test.go
// covers the same with the test plugin alone.)
func TestHungPluginAmongOthers(t *testing.T) {
	e := newEnv(t, envOptions{fleet: sim.FleetSpec{IOS: 1, NETCONF: 1, HTTP: 1}})
	ctx := ctxT(t, 60*time.Second)
	open := map[string]func() (*host.Conn, error){
		"scrapli-ssh": func() (*host.Conn, error) { return e.h.Open(ctx, e.sshDevice(e.cli[0], nil), sshReq) },
		"netconf":     func() (*host.Conn, error) { return e.h.Open(ctx, e.netconfDevice(e.nc[0], nil), netconfReq) },
		"httpx-api":   func() (*host.Conn, error) { return e.h.Open(ctx, e.apiDevice(e.web[0], nil), apiReq) },
	}
	want := map[string]string{"scrapli-ssh": e.cli[0].Hostname(), "netconf": e.nc[0].Hostname(), "httpx-api": e.web[0].Hostname()}
	conns := map[string]*host.Conn{}
	for _, p := range plugins {
		c, err := open[p]()
		if err != nil {
			t.Fatalf("open %s: %v", p, err)
		}
		conns[p] = c
	}
	for _, victim := range plugins {
		pid := conns[victim].Plugin().PID
		testenv.Stop(t, pid)
		// The other plugins answer throughout.
		stop := make(chan struct{})
		others := make(chan error, 1)
		go func() {
			defer close(others)
			for {
				for _, p := range plugins {
					if p == victim {
						continue
					}
					v, err := conns[p].DeviceInfo().GetVersion(ctx)
					if err == nil && v.Hostname != want[p] {
						err = errors.New("wrong hostname " + v.Hostname)
					}
					if err != nil {
						others <- err
						return
					}
				}
				select {
				case <-stop:
					return
				default:
				}
			}
		}()
		cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		start := time.Now()
		_, callErr := conns[victim].DeviceInfo().GetVersion(cctx)
		took := time.Since(start)
		cancel()
		close(stop)
		if oerr := <-others; oerr != nil {
			t.Errorf("%s stopped: a session in another plugin failed: %v", victim, oerr)
		}
		var se *host.StateError
		if !errors.As(callErr, &se) || se.State != host.StatePluginDied {
			t.Errorf("%s stopped: want State plugin died, got %v (SIGSTOPped pid %d; pools %+v; /proc state %q)",
				victim, callErr, pid, e.h.Stats(), procState(pid))
		}
		if took > 300*time.Millisecond+deadlineSlack {
			t.Errorf("%s stopped: the call returned after %v", victim, took)
		}
		if !testenv.WaitPIDsGone(t, []int{pid}, 3*time.Second) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		conns[victim].Close()
		c, err := open[victim]()
		if err != nil {
			t.Fatalf("%s: open after the hung process was replaced: %v", victim, err)
		}
		if c.Plugin().PID == pid {
			t.Errorf("%s: the new session went to the killed process", victim)
		}
		if v, err := c.DeviceInfo().GetVersion(ctx); err != nil || v.Hostname != want[victim] {
			t.Errorf("%s: replacement process: %+v %v", victim, v, err)
		}
		conns[victim] = c
		t.Logf("%s (pid %d) SIGSTOPped: call failed after %v with %v", victim, pid, took.Round(time.Millisecond), callErr)
	}
	for _, c := range conns {
		c.Close()
	}
}

// procState is the state letter of /proc/PID/stat (T when stopped).
func procState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return err.Error()
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return string(b)
	}
	return f[2]
}
