package main

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"go.uber.org/goleak"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/internal/peers"
	"github.com/netyard/netyard/internal/testenv"
	"github.com/netyard/netyard/sdk"
	"github.com/netyard/netyard/sim"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	pluginName = "scrapli-ssh"
	password   = "Sim-pa55word!"
	enable     = "En-s3cret!"
)

var sshReq = host.Request{Type: "ssh", Library: "scrapli"}

// newHost starts a host whose only plugin is the built scrapli-ssh binary.
// At the end of the test it checks that no plugin process is left and that
// no secret reached the log.
func newHost(t *testing.T) (*host.Host, *testenv.LogBuffer) {
	t.Helper()
	dir := testenv.PluginDir(t, pluginName)
	logs := &testenv.LogBuffer{}
	h, err := host.New(host.Config{
		PluginDirs: []string{dir},
		Logger:     hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: logs}),
	})
	if err != nil {
		t.Fatalf("host.New: %v", err)
	}
	t.Cleanup(func() {
		h.Close()
		testenv.WaitNoProcesses(t, filepath.Join(dir, pluginName, pluginName), 5*time.Second)
		for _, s := range []string{password, enable, peers.Password} {
			if strings.Contains(logs.String(), s) {
				t.Errorf("a secret appears in the host log")
			}
		}
		if t.Failed() {
			t.Logf("host log (tail):\n%s", tail(logs.String(), 4000))
		}
	})
	return h, logs
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func newSim(t *testing.T, specs ...sim.DeviceSpec) (*sim.Sim, []*sim.Device) {
	t.Helper()
	s, err := sim.New(sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var devs []*sim.Device
	for _, spec := range specs {
		spec.SSH = true
		if spec.Password == "" {
			spec.Username, spec.Password, spec.EnableSecret = "netops", password, enable
		}
		d, err := s.Add(context.Background(), spec)
		if err != nil {
			t.Fatal(err)
		}
		devs = append(devs, d)
	}
	return s, devs
}

// simDevice is the netyard device for a simulated one.
func simDevice(t *testing.T, d *sim.Device, opts map[string]string) host.Device {
	t.Helper()
	h, p, err := net.SplitHostPort(d.SSHAddr())
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(p)
	spec := d.Spec()
	return host.Device{ID: spec.Name, Platform: spec.Platform, Host: h, Port: port,
		Username: spec.Username, Password: spec.Password, EnableSecret: spec.EnableSecret, Options: opts}
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

var platformCases = []struct {
	platform, showRun string
	config            []string
	want              string // in the running configuration after config
	bad               string // a command the device rejects
}{
	{"cisco_iosxe", "show running-config", []string{"interface GigabitEthernet2", "description by-netyard", "no shutdown"}, " description by-netyard", "show bogus thing"},
	{"arista_eos", "show running-config", []string{"interface Ethernet2", "description by-netyard"}, "   description by-netyard", "show bogus thing"},
	{"juniper_junos", "show configuration", []string{"set interfaces ge-0/0/1 description by-netyard"}, "description by-netyard;", "show bogus thing"},
}

// TestPlatforms drives every simulator platform through the host: commands,
// failed responses, configuration, and version facts equal to the spec.
func TestPlatforms(t *testing.T) {
	var specs []sim.DeviceSpec
	for i, c := range platformCases {
		specs = append(specs, sim.DeviceSpec{Name: "dev-" + c.platform, Platform: c.platform, Hostname: "core-" + strconv.Itoa(i+1),
			Model: "MODEL-" + strconv.Itoa(i), Serial: "SER" + strconv.Itoa(1000+i), Version: "9.8." + strconv.Itoa(i)})
	}
	_, devs := newSim(t, specs...)
	h, _ := newHost(t)
	for i, c := range platformCases {
		d := devs[i]
		t.Run(c.platform, func(t *testing.T) {
			t.Parallel()
			ctx := ctxT(t, 30*time.Second)
			conn, err := h.Open(ctx, simDevice(t, d, nil), sshReq)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			defer conn.Close()
			if p := conn.Plugin(); p.Name != pluginName || p.Library != "scrapli" {
				t.Fatalf("resolved to %+v", p)
			}

			r, err := conn.CLI().SendCommand(ctx, "show version")
			if err != nil || r.Failed {
				t.Fatalf("show version: %+v %v", r, err)
			}
			spec := d.Spec()
			if !strings.Contains(r.Result, spec.Serial) || strings.Contains(r.Result, "show version") || r.Elapsed <= 0 {
				t.Fatalf("show version result (echo or prompt left, or serial missing):\n%q", r.Result)
			}
			if last := r.Result[strings.LastIndexByte(r.Result, '\n')+1:]; strings.Contains(last, spec.Hostname+"#") || strings.Contains(last, spec.Hostname+">") {
				t.Fatalf("prompt left in result: %q", last)
			}

			info, err := conn.DeviceInfo().GetVersion(ctx)
			if err != nil {
				t.Fatalf("get version: %v", err)
			}
			want := sdk.DeviceInfo{Hostname: spec.Hostname, Vendor: spec.Vendor, Model: spec.Model, Serial: spec.Serial,
				SoftwareRelease: spec.Version, Platform: c.platform}
			info.Raw = ""
			if info != want {
				t.Fatalf("device info\n got %+v\nwant %+v", info, want)
			}

			rs, err := conn.CLI().SendCommands(ctx, sdk.CommandsRequest{Commands: []string{c.bad, "show version"}, StopOnFailed: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) != 1 || !rs[0].Failed || rs[0].FailedWhen == "" {
				t.Fatalf("rejected command: want one failed response, got %+v", rs)
			}
			r, err = conn.CLI().SendCommand(ctx, "show version", spec.Serial)
			if err != nil || !r.Failed || r.FailedWhen != spec.Serial {
				t.Fatalf("caller's failed-when-contains not applied: %+v %v", r, err)
			}

			res, err := conn.CLIConfig().SendConfig(ctx, sdk.ConfigRequest{Lines: c.config})
			if err != nil || res.Failed || !res.Committed || len(res.Responses) != len(c.config) {
				t.Fatalf("config: %+v %v", res, err)
			}
			r, err = conn.CLI().SendCommand(ctx, c.showRun)
			if err != nil || r.Failed || !strings.Contains(r.Result, c.want) {
				t.Fatalf("%s after config lacks %q: %v\n%s", c.showRun, c.want, err, r.Result)
			}
			// Still in the default privilege level: an exec command works.
			if r, err := conn.CLI().SendCommand(ctx, "show version"); err != nil || r.Failed {
				t.Fatalf("show version after config: %+v %v", r, err)
			}
		})
	}
}

// TestJunosCommitDiscard: a rejected line discards the whole change; a dry
// run checks and discards.
func TestJunosCommitDiscard(t *testing.T) {
	_, devs := newSim(t, sim.DeviceSpec{Name: "junos1", Platform: "juniper_junos"})
	h, _ := newHost(t)
	ctx := ctxT(t, 30*time.Second)
	conn, err := h.Open(ctx, simDevice(t, devs[0], nil), sshReq)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	res, err := conn.CLIConfig().SendConfig(ctx, sdk.ConfigRequest{Lines: []string{
		"set interfaces ge-0/0/2 description must-not-stay", "sett bogus"}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Failed || res.Committed || !res.Discarded {
		t.Fatalf("rejected line: want failed and discarded, got %+v", res)
	}
	res, err = conn.CLIConfig().SendConfig(ctx, sdk.ConfigRequest{DryRun: true, Lines: []string{"set interfaces ge-0/0/3 description dry-run"}})
	if err != nil || res.Failed || res.Committed || !res.Discarded || !strings.Contains(res.CommitOutput, "succeeds") {
		t.Fatalf("dry run: %+v %v", res, err)
	}
	if cfg := devs[0].RunningConfig(); strings.Contains(cfg, "must-not-stay") || strings.Contains(cfg, "dry-run") {
		t.Fatalf("discarded configuration is running:\n%s", cfg)
	}
	res, err = conn.CLIConfig().SendConfig(ctx, sdk.ConfigRequest{Lines: []string{"set interfaces ge-0/0/3 description kept"}})
	if err != nil || !res.Committed || !strings.Contains(res.CommitOutput, "commit complete") {
		t.Fatalf("commit: %+v %v", res, err)
	}
	if cfg := devs[0].RunningConfig(); !strings.Contains(cfg, "kept") {
		t.Fatalf("committed configuration is not running:\n%s", cfg)
	}
}

// TestLinux runs the linux platform against a real OpenSSH server, with
// strict host key checking from its known_hosts file, by password and by a
// passphrase-protected key.
func TestLinux(t *testing.T) {
	sshd := peers.StartSSHD(t, peers.SSHDOptions{})
	keyPEM, passphrase := authorizeKey(t)
	h, _ := newHost(t)
	base := host.Device{ID: "linux1", Platform: "linux", Host: "127.0.0.1", Port: sshd.Port, Username: peers.User,
		Options: map[string]string{OptKnownHosts: sshd.KnownHosts}}
	byPassword := base
	byPassword.Password = peers.Password
	byKey := base
	byKey.ID, byKey.PrivateKey, byKey.Passphrase = "linux1-key", keyPEM, passphrase
	bySystem := byPassword
	bySystem.ID, bySystem.Options = "linux1-system", map[string]string{OptKnownHosts: sshd.KnownHosts, OptTransport: "system"}
	hostname, _ := os.Hostname()
	for _, dev := range []host.Device{byPassword, byKey, bySystem} {
		t.Run(dev.ID, func(t *testing.T) {
			ctx := ctxT(t, 30*time.Second)
			conn, err := h.Open(ctx, dev, host.Request{Type: "ssh"})
			if err != nil {
				t.Fatalf("open: %v\nsshd log:\n%s", err, sshd.Log())
			}
			defer conn.Close()
			r, err := conn.CLI().SendCommand(ctx, "echo hello; id -un")
			if err != nil || r.Failed || r.Result != "hello\n"+peers.User {
				t.Fatalf("echo: %+v %v", r, err)
			}
			r, err = conn.CLI().SendCommand(ctx, "ls /nonexistent-netyard")
			if err != nil || !r.Failed {
				t.Fatalf("failing command not failed: %+v %v", r, err)
			}
			info, err := conn.DeviceInfo().GetVersion(ctx)
			if err != nil || info.Hostname != hostname || info.Vendor != "Linux" || info.SoftwareRelease == "" {
				t.Fatalf("device info: %+v %v", info, err)
			}
			res, err := conn.CLIConfig().SendConfig(ctx, sdk.ConfigRequest{Lines: []string{"export NETYARD_X=1", "test \"$NETYARD_X\" = 1 && echo set"}})
			if err != nil || res.Failed || !res.Committed || res.Responses[1].Result != "set" {
				t.Fatalf("config: %+v %v", res, err)
			}
		})
	}
	t.Run("host key mismatch", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), "known_hosts")
		line := "[127.0.0.1]:" + strconv.Itoa(sshd.Port) + " ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGb8Jk1Jm7mKc3QH0H2y1lF1j0u8cQm5bQ8r1T8l1R5Q\n"
		if err := os.WriteFile(other, []byte(line), 0o644); err != nil {
			t.Fatal(err)
		}
		dev := byPassword
		dev.Options = map[string]string{OptKnownHosts: other}
		_, err := h.Open(ctxT(t, 30*time.Second), dev, host.Request{Type: "ssh"})
		var ce *host.CreationError
		if !errors.As(err, &ce) || ce.Retryable || !strings.Contains(err.Error(), "host key") {
			t.Fatalf("want a non-retryable host key error, got %v", err)
		}
	})
}

// authorizeKey makes an encrypted ed25519 key for the test user.
func authorizeKey(t *testing.T) ([]byte, string) {
	t.Helper()
	home := peers.EnsureUser(t)
	dir := t.TempDir()
	key := filepath.Join(dir, "id")
	const pass = "key-Passphrase-1"
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", pass, "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".ssh", "authorized_keys"), pub, 0o644); err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem, pass
}

// TestConnectErrors: authentication failure is final, an unreachable port
// and a device that never answers after login are retryable.
func TestConnectErrors(t *testing.T) {
	_, devs := newSim(t,
		sim.DeviceSpec{Name: "authfail", Platform: "cisco_iosxe", Faults: sim.Faults{AuthFail: true}},
		sim.DeviceSpec{Name: "hung", Platform: "arista_eos", Faults: sim.Faults{Hang: true}})
	h, _ := newHost(t)
	closed := host.Device{ID: "closed", Platform: "cisco_iosxe", Host: "127.0.0.1", Port: peers.FreePort(t), Username: "u", Password: password}
	cases := []struct {
		name      string
		dev       host.Device
		retryable bool
		says      string
	}{
		{"auth failure", simDevice(t, devs[0], nil), false, "authentication failed"},
		{"unreachable", closed, true, "cannot reach"},
		{"hung after login", simDevice(t, devs[1], map[string]string{OptTimeoutOps: "500ms"}), true, "no prompt"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			_, err := h.Open(ctxT(t, 20*time.Second), c.dev, sshReq)
			var ce *host.CreationError
			if !errors.As(err, &ce) || ce.Retryable != c.retryable || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("want a Creation error (retryable %v) saying %q, got %T %v", c.retryable, c.says, err, err)
			}
			if !errors.Is(err, host.ErrConnection) || time.Since(start) > 10*time.Second {
				t.Fatalf("error %v after %v", err, time.Since(start))
			}
		})
	}
	t.Run("context deadline during connect", func(t *testing.T) {
		t.Parallel()
		start := time.Now()
		_, err := h.Open(ctxT(t, 700*time.Millisecond), simDevice(t, devs[1], nil), sshReq)
		if err == nil || time.Since(start) > 5*time.Second {
			t.Fatalf("open of a hung device with a 700ms deadline: %v after %v", err, time.Since(start))
		}
	})
}

// TestTimeoutsAndDrops: a hung device times a command out without blocking
// another session of the same process, and the session is usable again
// once the device answers; a connection dropped mid-command is an error and
// leaves the session clearly closed.
func TestTimeoutsAndDrops(t *testing.T) {
	_, devs := newSim(t,
		sim.DeviceSpec{Name: "slow", Platform: "cisco_iosxe"},
		sim.DeviceSpec{Name: "healthy", Platform: "cisco_iosxe"},
		sim.DeviceSpec{Name: "dropper", Platform: "arista_eos"})
	h, _ := newHost(t)
	ctx := ctxT(t, 60*time.Second)
	open := func(d *sim.Device) *host.Conn {
		c, err := h.Open(ctx, simDevice(t, d, nil), sshReq)
		if err != nil {
			t.Fatalf("open %s: %v", d.Name(), err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	slow, healthy, dropper := open(devs[0]), open(devs[1]), open(devs[2])
	if slow.Plugin().PID != healthy.Plugin().PID {
		t.Fatalf("sessions not sharing a plugin process: %d %d", slow.Plugin().PID, healthy.Plugin().PID)
	}

	devs[0].SetFaults(sim.Faults{Hang: true})
	done := make(chan error, 1)
	go func() {
		cctx, cancel := context.WithTimeout(ctx, 700*time.Millisecond)
		defer cancel()
		_, err := slow.CLI().SendCommand(cctx, "show version")
		done <- err
	}()
	for i := 0; i < 20; i++ { // the other session answers while the first hangs
		start := time.Now()
		if r, err := healthy.CLI().SendCommand(ctx, "show clock"); err != nil || r.Failed || time.Since(start) > 500*time.Millisecond {
			t.Fatalf("healthy session blocked by the hung one: %+v %v after %v", r, err, time.Since(start))
		}
	}
	err := <-done
	var oe *host.OperationError
	if !errors.As(err, &oe) || !oe.Retryable {
		t.Fatalf("hung command: want a retryable Operation error, got %T %v", err, err)
	}
	devs[0].SetFaults(sim.Faults{})
	r, err := slow.CLI().SendCommand(ctx, "show ip interface brief")
	if err != nil || r.Failed || !strings.Contains(r.Result, "GigabitEthernet1") || strings.Contains(r.Result, "uptime") {
		t.Fatalf("after the device recovered: %+v %v", r, err)
	}

	// Cancel, rather than deadline, also leaves the session usable.
	devs[0].SetFaults(sim.Faults{Latency: 2 * time.Second})
	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(200*time.Millisecond, cancel)
	if _, err := slow.CLI().SendCommand(cctx, "show version"); err == nil {
		t.Fatal("cancelled command succeeded")
	}
	devs[0].SetFaults(sim.Faults{})
	if r, err := slow.CLI().SendCommand(ctx, "show clock"); err != nil || r.Failed || strings.Contains(r.Result, "uptime") {
		t.Fatalf("after a cancelled command: %+v %v", r, err)
	}

	devs[2].SetFaults(sim.Faults{DropAfter: 1, Latency: 100 * time.Millisecond})
	_, err = dropper.CLI().SendCommands(ctx, sdk.CommandsRequest{Commands: []string{"show version", "show version"}})
	if !errors.As(err, &oe) {
		t.Fatalf("dropped connection: want an Operation error, got %T %v", err, err)
	}
	if alive, _ := dropper.Alive(ctx); alive {
		t.Fatal("dropped session reports alive")
	}
	_, err = dropper.CLI().SendCommand(ctx, "show version")
	var se *host.StateError
	if !errors.As(err, &se) {
		t.Fatalf("call on a dropped session: want a State error, got %T %v", err, err)
	}
	if r, err := healthy.CLI().SendCommand(ctx, "show clock"); err != nil || r.Failed {
		t.Fatalf("healthy session after the drop: %+v %v", r, err)
	}
}

// TestBigOutput reads a 64 MiB running configuration through the host.
func TestBigOutput(t *testing.T) {
	const size = 64 << 20
	_, devs := newSim(t, sim.DeviceSpec{Name: "big", Platform: "cisco_iosxe", Faults: sim.Faults{OutputSize: size}})
	h, _ := newHost(t)
	ctx := ctxT(t, 90*time.Second)
	conn, err := h.Open(ctx, simDevice(t, devs[0], nil), sshReq)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	r, err := conn.CLI().SendCommand(ctx, "show running-config")
	if err != nil || r.Failed {
		t.Fatalf("show running-config: %v (failed %v)", err, r.Failed)
	}
	t.Logf("64 MiB show running-config: %d bytes in %v (device side %v)", len(r.Result), time.Since(start), r.Elapsed)
	if len(r.Result) < size-1024 || !strings.HasPrefix(r.Result, "Building configuration") || !strings.HasSuffix(r.Result, "end") {
		t.Fatalf("result: %d bytes, starts %q, ends %q", len(r.Result), r.Result[:min(60, len(r.Result))], r.Result[max(0, len(r.Result)-60):])
	}
	if r, err := conn.CLI().SendCommand(ctx, "show clock"); err != nil || r.Failed {
		t.Fatalf("after the big output: %+v %v", r, err)
	}
}

// TestEnableSecret: a wrong or missing enable secret fails the open at once
// (no waiting for timeout_ops), says why, and never shows the secret.
func TestEnableSecret(t *testing.T) {
	_, devs := newSim(t, sim.DeviceSpec{Name: "en1", Platform: "cisco_iosxe"}, sim.DeviceSpec{Name: "en2", Platform: "arista_eos"})
	h, logs := newHost(t)
	for _, d := range devs {
		for _, c := range []struct{ name, secret string }{{"wrong", "not-the-Enable-secret-42"}, {"missing", ""}} {
			t.Run(d.Name()+"/"+c.name, func(t *testing.T) {
				dev := simDevice(t, d, map[string]string{OptTimeoutOps: "20s"})
				dev.EnableSecret = c.secret
				start := time.Now()
				conn, err := h.Open(ctxT(t, 30*time.Second), dev, sshReq)
				if err == nil {
					conn.Close()
					t.Fatal("open with a bad enable secret succeeded")
				}
				if !errors.Is(err, host.ErrConnection) || host.Retryable(err) {
					t.Fatalf("want a non-retryable netyard error, got %v", err)
				}
				if d := time.Since(start); d > 10*time.Second {
					t.Fatalf("bad enable secret took %v to fail (waited for timeout_ops?)", d)
				}
				if c.secret != "" && (strings.Contains(err.Error(), c.secret) || strings.Contains(logs.String(), c.secret)) {
					t.Fatal("the enable secret appears in the error or the log")
				}
				t.Logf("%v", err)
			})
		}
	}
}
