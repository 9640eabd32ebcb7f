package reliability

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"go.uber.org/goleak"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/internal/testenv"
	"github.com/netyard/netyard/sdk"
	"github.com/netyard/netyard/sim"
)

func TestMain(m *testing.M) {
	if os.Getenv(envChild) != "" {
		os.Exit(childMain())
	}
	goleak.VerifyTestMain(m)
}

// Distinctive secrets: every test greps its output for them.
const (
	username     = "relops"
	password     = "Rel-Pw-q7Zx!93kT"
	enableSecret = "Rel-En-Vb4#p0Lw"
)

// plugins are the three real plugins.
var plugins = []string{"scrapli-ssh", "netconf", "httpx-api"}

var (
	sshReq      = host.Request{Type: "ssh", Library: "scrapli"}
	netconfReq  = host.Request{Type: "netconf", Library: "netyard"}
	apiReq      = host.Request{Type: "api", Library: "httpx"}
	restconfReq = host.Request{Type: "restconf", Library: "httpx"}
)

// soak reports whether the long versions run (make soak).
func soak() bool { return os.Getenv("NETYARD_SOAK") != "" }

// soakDuration is how long soak tests hold their load (NETYARD_SOAK_DURATION,
// default 2m).
func soakDuration() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("NETYARD_SOAK_DURATION")); err == nil && d > 0 {
		return d
	}
	return 2 * time.Minute
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is a simulator fleet and a host over a fresh copy of the plugins.
type env struct {
	t          testing.TB
	sim        *sim.Sim
	h          *host.Host
	dir        string
	logs       *syncBuffer
	knownHosts string
	caFile     string
	cli        []*sim.Device // SSH CLI devices
	nc         []*sim.Device // NETCONF devices
	web        []*sim.Device // HTTP/RESTCONF devices
	closeOnce  sync.Once
}

type envOptions struct {
	fleet    sim.FleetSpec
	sessions map[string]sdk.SessionPolicy // per plugin
	level    hclog.Level
	mod      func(*host.Config)
}

// newEnv starts the simulator and a host whose plugin directory holds the
// three real plugins. Cleanup closes both and checks no plugin process is
// left and no secret reached the host log.
func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	f := o.fleet
	f.Username, f.Password, f.EnableSecret = username, password, enableSecret
	s, err := sim.Fleet(context.Background(), sim.Options{}, f)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, sim: s, logs: &syncBuffer{}, dir: testenv.PluginDir(t, plugins...)}
	for _, d := range s.Devices() {
		switch {
		case d.SSHAddr() != "":
			e.cli = append(e.cli, d)
		case d.NETCONFAddr() != "":
			e.nc = append(e.nc, d)
		case d.HTTPAddr() != "":
			e.web = append(e.web, d)
		}
	}
	var lines []string
	for _, d := range s.Devices() {
		for _, a := range []string{d.SSHAddr(), d.NETCONFAddr()} {
			if a != "" {
				lines = append(lines, knownhosts.Line([]string{a}, s.HostKey()))
			}
		}
	}
	tmp := t.TempDir()
	e.knownHosts = filepath.Join(tmp, "known_hosts")
	e.caFile = filepath.Join(tmp, "ca.pem")
	if err := os.WriteFile(e.knownHosts, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.caFile, s.CACertPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	level := o.level
	if level == hclog.NoLevel {
		level = hclog.Debug
	}
	cfg := host.Config{
		PluginDirs: []string{e.dir},
		Logger:     hclog.New(&hclog.LoggerOptions{Level: level, Output: e.logs, JSONFormat: true}),
		Plugins:    map[string]host.PluginConfig{},
	}
	for name, p := range o.sessions {
		cfg.Plugins[name] = host.PluginConfig{Sessions: p}
	}
	if o.mod != nil {
		o.mod(&cfg)
	}
	h, err := host.New(cfg)
	if err != nil {
		s.Close()
		t.Fatalf("host.New: %v", err)
	}
	e.h = h
	t.Cleanup(func() {
		e.close()
		for _, p := range plugins {
			testenv.WaitNoProcesses(t, e.binary(p), 5*time.Second)
		}
		if n := e.sshProcesses(); len(n) > 0 {
			t.Errorf("ssh processes left talking to the simulator: %v", n)
		}
		for _, sec := range []string{password, enableSecret} {
			if strings.Contains(e.logs.String(), sec) {
				t.Errorf("a secret (%.6s...) appears in the host log", sec)
			}
		}
		if t.Failed() {
			t.Logf("host log (tail):\n%s", tail(e.logs.String(), 6000))
		}
	})
	return e
}

// close closes the host, then the simulator.
func (e *env) close() {
	e.closeOnce.Do(func() {
		e.h.Close()
		e.sim.Close()
	})
}

func (e *env) binary(plugin string) string { return filepath.Join(e.dir, plugin, plugin) }

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

func hostPort(t testing.TB, addr string) (string, int) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(p)
	return h, port
}

// sshDevice is the netyard record of a simulated CLI device.
func (e *env) sshDevice(d *sim.Device, opts map[string]string) host.Device {
	h, port := hostPort(e.t, d.SSHAddr())
	o := map[string]string{"known_hosts": e.knownHosts}
	for k, v := range opts {
		o[k] = v
	}
	sp := d.Spec()
	return host.Device{ID: sp.Name, Platform: sp.Platform, Host: h, Port: port,
		Username: username, Password: password, EnableSecret: enableSecret, Options: o}
}

func (e *env) netconfDevice(d *sim.Device, opts map[string]string) host.Device {
	h, port := hostPort(e.t, d.NETCONFAddr())
	o := map[string]string{"known_hosts": e.knownHosts}
	for k, v := range opts {
		o[k] = v
	}
	sp := d.Spec()
	return host.Device{ID: sp.Name, Platform: sp.Platform, Host: h, Port: port,
		Username: username, Password: password, Options: o}
}

// apiDevice is a simulated HTTP device over plain HTTP.
func (e *env) apiDevice(d *sim.Device, opts map[string]string) host.Device {
	h, port := hostPort(e.t, d.HTTPAddr())
	o := map[string]string{"scheme": "http"}
	for k, v := range opts {
		o[k] = v
	}
	sp := d.Spec()
	return host.Device{ID: sp.Name, Platform: sp.Platform, Host: h, Port: port,
		Username: username, Password: password, Options: o}
}

// simPorts are the TCP ports of every simulated service, to recognise ssh
// processes talking to this test's simulator among others on the machine.
func (e *env) simPorts() map[string]bool {
	ports := map[string]bool{}
	for _, d := range e.sim.Devices() {
		for _, a := range []string{d.SSHAddr(), d.NETCONFAddr()} {
			if _, p, err := net.SplitHostPort(a); err == nil {
				ports[p] = true
			}
		}
	}
	return ports
}

func (e *env) sshProcesses() []int { return sshProcessesTo(e.simPorts()) }

// sshProcessesTo lists live ssh processes whose command line names one of
// ports (scrapligo's system transport runs `ssh ... -p PORT`).
func sshProcessesTo(ports map[string]bool) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, ent := range ents {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil || !testenv.PIDAlive(pid) {
			continue
		}
		comm, _ := os.ReadFile("/proc/" + ent.Name() + "/comm")
		if strings.TrimSpace(string(comm)) != "ssh" {
			continue
		}
		raw, _ := os.ReadFile("/proc/" + ent.Name() + "/cmdline")
		args := strings.Split(string(raw), "\x00")
		for i, a := range args {
			if a == "-p" && i+1 < len(args) && ports[args[i+1]] {
				out = append(out, pid)
				break
			}
		}
	}
	return out
}

// pluginPIDs returns every live plugin process the host reports.
func pluginPIDs(h *host.Host) map[string][]int {
	out := map[string][]int{}
	for _, st := range h.Stats() {
		out[st.Plugin] = append(out[st.Plugin], st.PIDs...)
	}
	return out
}

// rssKB is a process's resident set size in KiB (0 when gone).
func rssKB(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return 0
}

// memReport is the RSS of this (host) process and of every plugin process.
func memReport(h *host.Host) (hostKB int, plugins map[string]int, line string) {
	hostKB = rssKB(os.Getpid())
	plugins = map[string]int{}
	var parts []string
	for name, pids := range pluginPIDs(h) {
		for _, p := range pids {
			plugins[name] += rssKB(p)
		}
		parts = append(parts, fmt.Sprintf("%s %d procs %.1f MiB", name, len(pids), float64(plugins[name])/1024))
	}
	sort.Strings(parts)
	return hostKB, plugins, fmt.Sprintf("host %.1f MiB; %s", float64(hostKB)/1024, strings.Join(parts, "; "))
}

// wantTyped fails unless err is nil or a host error.
func wantTyped(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil && !errors.Is(err, host.ErrConnection) {
		t.Errorf("%s: untyped error %T: %v", what, err, err)
	}
}

func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
