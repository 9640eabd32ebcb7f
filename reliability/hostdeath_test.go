package reliability

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/internal/testenv"
	"github.com/netyard/netyard/sdk"
	"github.com/netyard/netyard/sim"
)

// envChild, when set, makes the test binary a worker: it reads a childPlan
// from the variable's value, opens its sessions, prints "ready" and waits
// to be killed.
const envChild = "NETYARD_RELIABILITY_CHILD"

type childPlan struct {
	PluginDir string
	Sessions  map[string]sdk.SessionPolicy
	Conns     []childConn
}

type childConn struct {
	Device  host.Device
	Request host.Request
}

func childMain() int {
	var plan childPlan
	if err := json.Unmarshal([]byte(os.Getenv(envChild)), &plan); err != nil {
		fmt.Println("error", err)
		return 1
	}
	cfg := host.Config{PluginDirs: []string{plan.PluginDir}, Plugins: map[string]host.PluginConfig{}}
	for name, p := range plan.Sessions {
		cfg.Plugins[name] = host.PluginConfig{Sessions: p}
	}
	h, err := host.New(cfg)
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	errs := make(chan error, len(plan.Conns))
	for _, c := range plan.Conns {
		go func() {
			conn, err := h.Open(ctx, c.Device, c.Request)
			if err == nil {
				_, err = conn.DeviceInfo().GetVersion(ctx)
			}
			errs <- err
		}()
	}
	for range plan.Conns {
		if err := <-errs; err != nil {
			fmt.Println("error", strings.ReplaceAll(err.Error(), "\n", " "))
			return 1
		}
	}
	fmt.Println("ready")
	time.Sleep(2 * time.Minute) // the parent kills us long before
	return 0
}

// TestHostDeath: a worker process holding 50 sessions in the three plugins
// (several processes each, ssh(1) children among them) is SIGKILLed; within
// 2 s no plugin process and no ssh child is left, and the simulator sees
// every session closed.
func TestHostDeath(t *testing.T) {
	e := newEnv(t, envOptions{fleet: sim.FleetSpec{IOS: 2, EOS: 1, Junos: 1, NETCONF: 2, HTTP: 2}})
	plan := childPlan{PluginDir: e.dir, Sessions: map[string]sdk.SessionPolicy{
		"scrapli-ssh": {PerProcess: 8}, "netconf": {PerProcess: 8}, "httpx-api": {PerProcess: 8},
	}}
	for i := range 20 { // 10 with ssh(1) through scrapligo's system transport
		d := e.cli[i%len(e.cli)]
		opts := map[string]string{}
		if i%2 == 0 {
			opts["transport"] = "system"
		}
		dev := e.sshDevice(d, opts)
		dev.ID = fmt.Sprintf("%s-%d", dev.ID, i)
		plan.Conns = append(plan.Conns, childConn{dev, sshReq})
	}
	for i := range 15 {
		dev := e.netconfDevice(e.nc[i%len(e.nc)], nil)
		dev.ID = fmt.Sprintf("%s-%d", dev.ID, i)
		plan.Conns = append(plan.Conns, childConn{dev, netconfReq})
	}
	for i := range 15 {
		req := apiReq
		if i%2 == 1 {
			req = restconfReq
		}
		dev := e.apiDevice(e.web[i%len(e.web)], nil)
		dev.ID = fmt.Sprintf("%s-%d", dev.ID, i)
		plan.Conns = append(plan.Conns, childConn{dev, req})
	}
	raw, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"="+string(raw))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if !strings.HasPrefix(line, "ready") {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("worker did not get ready: %q", line)
	}
	procs := map[string][]int{}
	total := 0
	for _, p := range plugins {
		procs[p] = testenv.PluginPIDs(t, e.binary(p))
		total += len(procs[p])
		if len(procs[p]) < 2 {
			t.Errorf("%s: %d processes, want several", p, len(procs[p]))
		}
	}
	sshKids := e.sshProcesses()
	if len(sshKids) != 10 {
		t.Errorf("%d ssh children, want 10", len(sshKids))
	}
	open := 0
	for _, d := range e.sim.Devices() {
		open += int(d.Stats().OpenSessions)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	killed := time.Now()

	for _, p := range plugins {
		testenv.WaitNoProcesses(t, e.binary(p), 2*time.Second-time.Since(killed))
	}
	for {
		left := e.sshProcesses()
		if len(left) == 0 {
			break
		}
		if time.Since(killed) > 2*time.Second {
			t.Errorf("ssh children still running 2 s after the worker died: %v", left)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	gone := time.Since(killed)
	for {
		left := 0
		for _, d := range e.sim.Devices() {
			left += int(d.Stats().OpenSessions)
		}
		if left == 0 {
			break
		}
		if time.Since(killed) > 2*time.Second {
			t.Errorf("the simulator still has %d open SSH/NETCONF sessions 2 s after the worker died", left)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("host death: worker held %d sessions in %d plugin processes (%v), %d ssh children, %d SSH/NETCONF sessions on the simulator; all gone %v after SIGKILL",
		len(plan.Conns), total, procs, len(sshKids), open, gone.Round(time.Millisecond))
}
