package bench

// Benchmarks of the scrapli-ssh plugin against its baselines, in one run:
// through the host and the plugin process; scrapligo v1.4.3 in-process as
// shipped (standard transport, default options); scrapligo with ReadDelay 0;
// and a bare x/crypto/ssh client (the floor). All against the simulator's
// IOS-XE devices on loopback. See docs/plugins/scrapli-ssh.md.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scrapli/scrapligo/driver/network"
	"github.com/scrapli/scrapligo/driver/opoptions"
	"github.com/scrapli/scrapligo/driver/options"
	"github.com/scrapli/scrapligo/platform"
	"github.com/scrapli/scrapligo/util"
	"golang.org/x/crypto/ssh"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/internal/testenv"
	"github.com/netyard/netyard/sdk"
	"github.com/netyard/netyard/sim"
)

var sshReq = host.Request{Type: "ssh", Library: "scrapli"}

func newSim(b *testing.B, n int, faults sim.Faults) (*sim.Sim, []*sim.Device) {
	b.Helper()
	s, err := sim.New(sim.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	devs := make([]*sim.Device, n)
	for i := range devs {
		devs[i], err = s.Add(context.Background(), sim.DeviceSpec{Name: fmt.Sprintf("ios%d", i+1), Platform: "cisco_iosxe", SSH: true, Faults: faults})
		if err != nil {
			b.Fatal(err)
		}
	}
	return s, devs
}

func deviceOf(d *sim.Device) host.Device {
	h, p, _ := net.SplitHostPort(d.SSHAddr())
	port, _ := strconv.Atoi(p)
	spec := d.Spec()
	return host.Device{ID: spec.Name, Platform: spec.Platform, Host: h, Port: port,
		Username: spec.Username, Password: spec.Password, EnableSecret: spec.EnableSecret}
}

func scrapliHost(b *testing.B, perProcess int) *host.Host {
	b.Helper()
	h, err := host.New(host.Config{
		PluginDirs: []string{testenv.PluginDir(b, "scrapli-ssh")},
		Plugins:    map[string]host.PluginConfig{"scrapli-ssh": {Sessions: sdk.SessionPolicy{PerProcess: perProcess}}},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { h.Close() })
	return h
}

// openScrapligo opens an in-process scrapligo driver as shipped, plus extra options.
func openScrapligo(d *sim.Device, extra ...util.Option) (*network.Driver, error) {
	dev := deviceOf(d)
	opts := append([]util.Option{
		options.WithAuthNoStrictKey(), options.WithAuthUsername(dev.Username), options.WithAuthPassword(dev.Password),
		options.WithAuthSecondary(dev.EnableSecret), options.WithPort(dev.Port), options.WithTransportType("standard"),
	}, extra...)
	p, err := platform.NewPlatform(dev.Platform, dev.Host, opts...)
	if err != nil {
		return nil, err
	}
	drv, err := p.GetNetworkDriver()
	if err != nil {
		return nil, err
	}
	return drv, drv.Open()
}

// bareClient is the floor: x/crypto/ssh, a pty shell, write the command,
// read until the known prompt ends the output.
type bareClient struct {
	client *ssh.Client
	sess   *ssh.Session
	in     interface{ Write([]byte) (int, error) }
	out    interface{ Read([]byte) (int, error) }
	prompt []byte
	buf    []byte
	rbuf   []byte
}

func openBare(d *sim.Device) (*bareClient, error) {
	spec := d.Spec()
	client, err := ssh.Dial("tcp", d.SSHAddr(), &ssh.ClientConfig{User: spec.Username, Auth: []ssh.AuthMethod{ssh.Password(spec.Password)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey()}) //nolint:gosec // loopback simulator
	if err != nil {
		return nil, err
	}
	sess, err := client.NewSession()
	if err != nil {
		return nil, err
	}
	if err := sess.RequestPty("xterm", 255, 511, ssh.TerminalModes{ssh.ECHO: 1}); err != nil {
		return nil, err
	}
	in, _ := sess.StdinPipe()
	out, _ := sess.StdoutPipe()
	if err := sess.Shell(); err != nil {
		return nil, err
	}
	c := &bareClient{client: client, sess: sess, in: in, out: out, rbuf: make([]byte, 1<<20)}
	c.prompt = []byte(spec.Hostname + ">")
	if _, err := c.run(""); err != nil { // the login prompt
		return nil, err
	}
	c.prompt = []byte("Password:")
	if _, err := c.run("enable"); err != nil {
		return nil, err
	}
	c.prompt = []byte(spec.Hostname + "#")
	if _, err := c.run(spec.EnableSecret); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *bareClient) run(cmd string) (int, error) {
	if cmd != "" {
		if _, err := c.in.Write([]byte(cmd + "\n")); err != nil {
			return 0, err
		}
	}
	c.buf = c.buf[:0]
	for {
		n, err := c.out.Read(c.rbuf)
		c.buf = append(c.buf, c.rbuf[:n]...)
		if bytes.HasSuffix(bytes.TrimRight(c.buf, " "), c.prompt) {
			return len(c.buf), nil
		}
		if err != nil {
			return 0, err
		}
	}
}

func (c *bareClient) Close() { c.sess.Close(); c.client.Close() }

type latencies map[string][]time.Duration

func (l latencies) time(name string, f func() error) error {
	start := time.Now()
	err := f()
	l[name] = append(l[name], time.Since(start))
	return err
}

func pct(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// report prints p50/p90 per client and the ratios of "host" to the others.
func (l latencies) report(b *testing.B, unit string) {
	div := map[string]float64{"us": 1e3, "ms": 1e6}[unit]
	for name, ds := range l {
		b.ReportMetric(float64(pct(ds, 0.5))/div, name+"-p50-"+unit)
		b.ReportMetric(float64(pct(ds, 0.9))/div, name+"-p90-"+unit)
	}
	h := float64(pct(l["host"], 0.5))
	for name, ds := range l {
		if name != "host" {
			b.ReportMetric(h/float64(pct(ds, 0.5)), "host/"+name)
		}
	}
}

// BenchmarkScrapliShowVersion: one `show version` per iteration on each
// client, interleaved so that machine noise hits all alike.
func BenchmarkScrapliShowVersion(b *testing.B) {
	_, devs := newSim(b, 4, sim.Faults{})
	h := scrapliHost(b, 0)
	ctx := context.Background()
	conn, err := h.Open(ctx, deviceOf(devs[0]), sshReq)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	shipped, err := openScrapligo(devs[1])
	if err != nil {
		b.Fatal(err)
	}
	defer shipped.Close()
	rd0, err := openScrapligo(devs[2], options.WithReadDelay(0))
	if err != nil {
		b.Fatal(err)
	}
	defer rd0.Close()
	bare, err := openBare(devs[3])
	if err != nil {
		b.Fatal(err)
	}
	defer bare.Close()
	l := latencies{}
	for b.Loop() {
		must(b, l.time("host", func() error { _, err := conn.CLI().SendCommand(ctx, "show version"); return err }))
		must(b, l.time("scrapligo", func() error { _, err := shipped.SendCommand("show version"); return err }))
		must(b, l.time("readdelay0", func() error { _, err := rd0.SendCommand("show version"); return err }))
		must(b, l.time("bare", func() error { _, err := bare.run("show version"); return err }))
	}
	l.report(b, "us")
}

// BenchmarkScrapli10MB: a 10 MB `show running-config`, same clients, plus
// scrapligo tuned as the issue measured it (1 MiB reads, no prompt-strip
// regex, ReadDelay 0).
func BenchmarkScrapli10MB(b *testing.B) {
	const size = 10_000_000
	_, devs := newSim(b, 4, sim.Faults{OutputSize: size})
	h := scrapliHost(b, 0)
	ctx := context.Background()
	conn, err := h.Open(ctx, deviceOf(devs[0]), sshReq)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	shipped, err := openScrapligo(devs[1])
	if err != nil {
		b.Fatal(err)
	}
	defer shipped.Close()
	tuned, err := openScrapligo(devs[2], options.WithReadDelay(0), options.WithTransportReadSize(1<<20))
	if err != nil {
		b.Fatal(err)
	}
	defer tuned.Close()
	bare, err := openBare(devs[3])
	if err != nil {
		b.Fatal(err)
	}
	defer bare.Close()
	l := latencies{}
	check := func(n int) error {
		if n < size {
			return fmt.Errorf("short output: %d bytes", n)
		}
		return nil
	}
	for b.Loop() {
		must(b, l.time("host", func() error {
			r, err := conn.CLI().SendCommand(ctx, "show running-config")
			if err != nil {
				return err
			}
			return check(len(r.Result))
		}))
		must(b, l.time("scrapligo", func() error {
			r, err := shipped.SendCommand("show running-config")
			if err != nil {
				return err
			}
			return check(len(r.Result))
		}))
		must(b, l.time("tuned", func() error {
			r, err := tuned.SendCommand("show running-config", opoptions.WithNoStripPrompt())
			if err != nil {
				return err
			}
			return check(len(r.Result))
		}))
		must(b, l.time("bare", func() error { n, err := bare.run("show running-config"); _ = check(n); return err }))
	}
	l.report(b, "ms")
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkScrapliFleet: 1,000 simulated devices, each opened, asked
// `show version` and closed, 200 in flight: through the host versus
// scrapligo in-process as shipped. Then 1,000 idle sessions through the host:
// the plugin processes' CPU over 3 s. Peak RSS of the plugin processes and of
// this process (host + simulator + benchmark).
func BenchmarkScrapliFleet(b *testing.B) {
	const devices, inFlight = 1000, 200
	_, devs := newSim(b, devices, sim.Faults{})
	ctx := context.Background()
	rssBase := vmHWM(os.Getpid())
	for b.Loop() {
		h := scrapliHost(b, 0)
		pids := &sync.Map{}
		hostWall := fleet(b, devs, inFlight, func(d *sim.Device) error {
			c, err := h.Open(ctx, deviceOf(d), sshReq)
			if err != nil {
				return err
			}
			pids.Store(c.Plugin().PID, true)
			defer c.Close()
			r, err := c.CLI().SendCommand(ctx, "show version")
			if err == nil && !strings.Contains(r.Result, d.Spec().Serial) {
				err = errors.New("wrong show version")
			}
			return err
		})
		rssHost := vmHWM(os.Getpid())

		// Idle: 1,000 open sessions, no calls.
		conns := make([]*host.Conn, devices)
		fleet(b, devs, inFlight, func(d *sim.Device) error {
			c, err := h.Open(ctx, deviceOf(d), sshReq)
			if err == nil {
				pids.Store(c.Plugin().PID, true)
				conns[slices.Index(devs, d)] = c
			}
			return err
		})
		var plugins []int
		pids.Range(func(k, _ any) bool { plugins = append(plugins, k.(int)); return true })
		cpu0 := cpuTicks(plugins)
		time.Sleep(3 * time.Second)
		idlePct := float64(cpuTicks(plugins)-cpu0) / 100 / 3 * 100 // clock ticks are 1/100 s
		var rssPlugins int64
		for _, pid := range plugins {
			rssPlugins += vmHWM(pid)
		}
		for _, c := range conns {
			c.Close()
		}
		h.Close()

		shippedWall := fleet(b, devs, inFlight, scrapligoShowVersion)
		b.ReportMetric(hostWall.Seconds(), "host-wall-s")
		b.ReportMetric(shippedWall.Seconds(), "scrapligo-wall-s")
		b.ReportMetric(hostWall.Seconds()/shippedWall.Seconds(), "host/scrapligo")
		b.ReportMetric(float64(len(plugins)), "plugin-procs")
		b.ReportMetric(float64(rssPlugins)/1024, "plugins-peak-RSS-MB")
		b.ReportMetric(float64(rssHost)/1024, "bench-proc-peak-RSS-MB")
		b.ReportMetric(float64(rssBase)/1024, "bench-proc-RSS-before-MB")
		b.ReportMetric(idlePct, "idle-1000-sessions-cpu-%")
	}
}

func fleet(b *testing.B, devs []*sim.Device, inFlight int, f func(*sim.Device) error) time.Duration {
	b.Helper()
	sem := make(chan struct{}, inFlight)
	var wg sync.WaitGroup
	var failed atomic.Int64
	var firstErr atomic.Value
	start := time.Now()
	for _, d := range devs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := f(d); err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, fmt.Errorf("%s: %w", d.Name(), err))
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d devices failed; first: %v", n, len(devs), firstErr.Load())
	}
	return time.Since(start)
}

// vmHWM is a process's peak resident set in KiB.
func vmHWM(pid int) int64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// cpuTicks sums user and system CPU clock ticks of pids.
func cpuTicks(pids []int) int64 {
	var total int64
	for _, pid := range pids {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if len(f) > 12 {
			u, _ := strconv.ParseInt(f[11], 10, 64)
			st, _ := strconv.ParseInt(f[12], 10, 64)
			total += u + st
		}
	}
	return total
}

// scrapligoShowVersion is one fan-out job done in process by scrapligo as
// shipped: connect, show version (checked), close.
func scrapligoShowVersion(d *sim.Device) error {
	drv, err := openScrapligo(d)
	if err != nil {
		return err
	}
	defer drv.Close()
	r, err := drv.SendCommand("show version")
	if err == nil && !strings.Contains(r.Result, d.Spec().Serial) {
		err = errors.New("wrong show version")
	}
	return err
}
