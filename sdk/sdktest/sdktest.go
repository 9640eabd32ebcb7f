// Package sdktest is netyard's conformance kit: a plugin author runs it, from
// an ordinary Go test, against the built plugin binary, through the real host.
//
//	func TestConformance(t *testing.T) {
//		sdktest.Run(t, sdktest.Config{
//			PluginDir: dir, // holds my-ssh/my-ssh and my-ssh/netyard-plugin.yaml
//			Plugin:    "my-ssh",
//			Device: func(t *testing.T, e sdk.ManifestEntry) sdk.Device {
//				return labDevice(t) // e.g. a device of sim.Fleet
//			},
//		})
//	}
//
// Run checks what the host relies on and cannot check at discovery: the
// manifest is valid; the binary is trusted, starts, and its Describe matches
// the manifest; for every provides entry, a session opens and closes, Close
// is idempotent, a closed connection answers State errors, every declared
// capability answers a harmless call (a failed command or an rpc-error is an
// answer; a crash, an internal error or silence is not), a wrong password is
// a non-retryable Creation error that does not quote the password, an
// unreachable port is a retryable one, a deferred session connects once; and
// after the host closes, no plugin process, file descriptor or goroutine is
// left behind.
//
// Run's checks are sequential and count this process's file descriptors and
// goroutines, so do not run it in parallel with other tests of the same
// package.
package sdktest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"go.uber.org/goleak"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/sdk"
)

// Config says which plugin to check and how to reach a device for it.
type Config struct {
	// PluginDir holds <Plugin>/netyard-plugin.yaml beside the plugin binary,
	// the layout host discovery expects. Other plugins in it are ignored.
	PluginDir string
	// Plugin is the plugin's manifest name.
	Plugin string
	// Device returns a reachable device, with working credentials, for one
	// provides entry (on the simulator, a lab box...). Run calls it once per
	// entry and once more for the leak check; it may start the device and
	// register its shutdown with t.Cleanup.
	Device func(t *testing.T, entry sdk.ManifestEntry) sdk.Device
	// WrongPassword turns a good device into one the plugin must refuse
	// with a non-retryable Creation error. Default: the password replaced
	// by a random one, the private key removed.
	WrongPassword func(sdk.Device) sdk.Device
	// Unreachable turns a good device into one the plugin must refuse with
	// a retryable Creation error. Default: a closed port on 127.0.0.1.
	Unreachable func(sdk.Device) sdk.Device
	// Probes add or replace the harmless call made for a capability. A
	// capability outside sdk.StandardCapabilities (served through Invoke)
	// needs one, or an entry in Skip.
	Probes map[string]Probe
	// Skip lists checks or capabilities not to run, each with its reason:
	// "cli.config: the lab box is read-only". Names are capabilities and
	// the check names (see Checks).
	Skip []string
	// Timeout bounds each check (default 30s).
	Timeout time.Duration
}

// Probe makes one harmless call of a capability on a connected Conn. It
// returns the error of the call; an error the device answered (a typed
// host error other than a dead plugin, an internal error or a timeout) still
// passes.
type Probe func(ctx context.Context, t *testing.T, c *host.Conn) error

// Checks are the names of Run's checks, usable in Config.Skip.
var Checks = []string{
	"manifest", "verify", "open-close", "closed", "capabilities", "undeclared",
	"auth-error", "unreachable-error", "deferred", "no-secrets-in-logs", "leaks",
}

// WrongPasswordValue is the prefix of the password the default
// WrongPassword sets; the check fails if it shows up in an error or a log.
const WrongPasswordValue = "sdktest-wrong-password-"

// Run checks the plugin cfg.Plugin of cfg.PluginDir. See the package
// documentation for what is checked.
func Run(t *testing.T, cfg Config) {
	t.Helper()
	r := newRunner(t, cfg)
	m := r.checkManifest(t)
	if m == nil {
		return
	}
	r.m = m
	h := r.newHost(t)
	r.check(t, "verify", func(t *testing.T) {
		ctx, cancel := r.ctx(t)
		defer cancel()
		if err := h.Verify(ctx, cfg.Plugin); err != nil {
			t.Fatalf("the host refuses the binary: %v", err)
		}
	})
	for _, e := range m.Provides {
		t.Run(e.Type+"-"+e.Library, func(t *testing.T) {
			dev := r.device(t, e)
			if dev == nil {
				return
			}
			r.entryChecks(t, h, e, *dev)
		})
	}
	if err := h.Close(); err != nil {
		t.Errorf("host Close: %v", err)
	}
	r.waitNoProcesses(t)
	r.check(t, "no-secrets-in-logs", func(t *testing.T) {
		if r.logs.contains(WrongPasswordValue) {
			t.Errorf("a wrong password the check set reached the host's log (plugin stderr included):\n%s", r.logs.grep(WrongPasswordValue))
		}
	})
	r.check(t, "leaks", r.checkLeaks)
	if t.Failed() {
		t.Logf("host and plugin log (last lines):\n%s", r.logs.tail(60))
	}
}

type runner struct {
	cfg   Config
	skips map[string]string
	m     *sdk.Manifest
	logs  *logBuffer
}

func newRunner(t *testing.T, cfg Config) *runner {
	t.Helper()
	if cfg.PluginDir == "" || cfg.Plugin == "" || cfg.Device == nil {
		t.Fatal("sdktest: Config needs PluginDir, Plugin and Device")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.WrongPassword == nil {
		cfg.WrongPassword = wrongPassword
	}
	if cfg.Unreachable == nil {
		cfg.Unreachable = func(d sdk.Device) sdk.Device {
			d.Host, d.Port = "127.0.0.1", closedPort(t)
			return d
		}
	}
	r := &runner{cfg: cfg, skips: map[string]string{}, logs: &logBuffer{}}
	for _, s := range cfg.Skip {
		name, reason, _ := strings.Cut(s, ":")
		name, reason = strings.TrimSpace(name), strings.TrimSpace(reason)
		if name == "" || reason == "" {
			t.Fatalf("sdktest: Config.Skip entry %q: want \"name: reason\"", s)
		}
		r.skips[name] = reason
	}
	return r
}

// check runs one named check as a subtest, unless Config.Skip names it.
func (r *runner) check(t *testing.T, name string, f func(t *testing.T)) bool {
	t.Helper()
	return t.Run(name, func(t *testing.T) {
		if reason, ok := r.skips[name]; ok {
			t.Skipf("skipped by Config.Skip: %s", reason)
		}
		f(t)
	})
}

func (r *runner) ctx(t *testing.T) (context.Context, context.CancelFunc) {
	return context.WithTimeout(t.Context(), r.cfg.Timeout)
}

func (r *runner) checkManifest(t *testing.T) *sdk.Manifest {
	t.Helper()
	var m *sdk.Manifest
	ok := t.Run("manifest", func(t *testing.T) {
		path := filepath.Join(r.cfg.PluginDir, r.cfg.Plugin, sdk.ManifestFile)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read the manifest: %v", err)
		}
		mm, err := sdk.ParseManifest(path, data)
		if err != nil {
			t.Fatalf("invalid manifest:\n%v", err)
		}
		if mm.Name != r.cfg.Plugin {
			t.Fatalf("%s: name is %q, the directory and Config.Plugin say %q", path, mm.Name, r.cfg.Plugin)
		}
		if !slices.Contains(mm.Protocol, sdk.ProtocolVersion) {
			t.Errorf("%s: protocol %v does not include this SDK's version %d", path, mm.Protocol, sdk.ProtocolVersion)
		}
		st, err := os.Stat(mm.CommandPath())
		if err != nil {
			t.Fatalf("%s: command: %v", path, err)
		}
		if st.Mode()&0o111 == 0 {
			t.Fatalf("%s: command %s is not executable", path, mm.CommandPath())
		}
		for _, e := range mm.Provides {
			for _, c := range e.Capabilities {
				if !slices.Contains(sdk.StandardCapabilities, c) && r.cfg.Probes[c] == nil {
					if _, skipped := r.skips[c]; !skipped {
						t.Errorf("capability %q of %s/%s is served through Invoke: set Config.Probes[%q] to a harmless call, or list it in Config.Skip with a reason",
							c, e.Type, e.Library, c)
					}
				}
			}
		}
		m = mm
	})
	if !ok {
		return nil
	}
	return m
}

// newHost makes a host that sees only the plugin under test, logging at
// trace level into r.logs, and registers its Close.
func (r *runner) newHost(t *testing.T) *host.Host {
	t.Helper()
	cfg := host.Config{
		PluginDirs:   []string{r.cfg.PluginDir},
		Logger:       hclog.New(&hclog.LoggerOptions{Name: "sdktest", Level: hclog.Trace, Output: r.logs}),
		StartTimeout: 10 * time.Second,
		Plugins:      map[string]host.PluginConfig{},
	}
	for _, p := range host.Discover(cfg).Plugins() {
		if p.Manifest.Name != r.cfg.Plugin {
			cfg.Plugins[p.Manifest.Name] = host.PluginConfig{Disabled: true}
		}
	}
	reg := host.Discover(cfg)
	var problems []string
	for _, p := range reg.Problems() {
		problems = append(problems, p.Error())
	}
	if reg.Manifest(r.cfg.Plugin) == nil {
		t.Fatalf("the host does not register plugin %s from %s:\n%s", r.cfg.Plugin, r.cfg.PluginDir, strings.Join(problems, "\n"))
	}
	cfg.SkipBadPlugins = true // another plugin's problem is not this one's
	h, err := host.New(cfg)
	if err != nil {
		t.Fatalf("host.New: %v", err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// device gets the entry's device from Config.Device and checks the host
// would resolve it to this entry.
func (r *runner) device(t *testing.T, e sdk.ManifestEntry) *sdk.Device {
	t.Helper()
	d := r.cfg.Device(t, e)
	if t.Failed() || t.Skipped() {
		return nil
	}
	if d.ID == "" {
		d.ID = "sdktest-" + e.Type + "-" + e.Library
	}
	if err := host.ValidateDevice(d); err != nil {
		t.Fatalf("Config.Device returned an unusable device: %v", err)
	}
	if !slices.Contains(e.Platforms, "*") && !slices.Contains(e.Platforms, d.Platform) {
		t.Fatalf("Config.Device returned platform %q; entry %s/%s serves %v", d.Platform, e.Type, e.Library, e.Platforms)
	}
	return &d
}

func (r *runner) entryChecks(t *testing.T, h *host.Host, e sdk.ManifestEntry, dev sdk.Device) {
	req := host.Request{Type: e.Type, Library: e.Library}
	if res, err := h.Resolve(dev, req); err != nil {
		t.Fatalf("the host cannot resolve %s for entry %s/%s: %v", dev, e.Type, e.Library, err)
	} else if res.Entry.Plugin != r.cfg.Plugin {
		t.Fatalf("the host resolves entry %s/%s to plugin %s", e.Type, e.Library, res.Entry.Plugin)
	}
	probes := r.probes(e)

	r.check(t, "open-close", func(t *testing.T) {
		ctx, cancel := r.ctx(t)
		defer cancel()
		c, err := h.Open(ctx, dev, req)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if p := c.Plugin(); p.Name != r.m.Name || p.Version != r.m.Version || p.PID <= 0 {
			t.Errorf("Conn.Plugin() = %+v, want plugin %s %s with a pid", p, r.m.Name, r.m.Version)
		}
		if alive, err := c.Alive(ctx); err != nil || !alive {
			t.Errorf("Alive right after Open = %v, %v; want true", alive, err)
		}
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := c.Close(); err != nil {
			t.Errorf("second Close: %v (Close must be idempotent)", err)
		}
	})

	r.check(t, "closed", func(t *testing.T) {
		ctx, cancel := r.ctx(t)
		defer cancel()
		c, err := h.Open(ctx, dev, req)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		for _, p := range probes {
			wantState(t, p.name+" after Close", p.run(ctx, t, c), host.StateClosed)
		}
		wantState(t, "Connect after Close", c.Connect(ctx), host.StateClosed)
		_, err = c.Alive(ctx)
		wantState(t, "Alive after Close", err, host.StateClosed)
	})

	r.check(t, "capabilities", func(t *testing.T) {
		ctx, cancel := r.ctx(t)
		defer cancel()
		c, err := h.Open(ctx, dev, req)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer c.Close()
		for _, p := range probes {
			r.check(t, p.name, func(t *testing.T) {
				ctx, cancel := r.ctx(t)
				defer cancel()
				err := p.run(ctx, t, c)
				if why := unanswered(ctx, err); why != "" {
					t.Errorf("capability %s did not answer (%s): %v", p.name, why, err)
				} else if err != nil {
					t.Logf("capability %s answered with an error, which is fine: %v", p.name, err)
				}
			})
		}
	})

	r.check(t, "undeclared", func(t *testing.T) {
		var missing string
		for _, c := range sdk.StandardCapabilities {
			if !slices.Contains(e.Capabilities, c) {
				missing = c
				break
			}
		}
		if missing == "" {
			t.Log("nothing to check: the entry declares every standard capability")
			return
		}
		ctx, cancel := r.ctx(t)
		defer cancel()
		c, err := h.Open(ctx, dev, req)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer c.Close()
		err = defaultProbes[missing](ctx, t, c)
		var ni *host.NotImplementedError
		if !errors.As(err, &ni) || ni.Capability != missing {
			t.Errorf("undeclared capability %s: got %v (%T), want *host.NotImplementedError", missing, err, err)
		}
	})

	r.check(t, "auth-error", func(t *testing.T) {
		ctx, cancel := r.ctx(t)
		defer cancel()
		bad := r.cfg.WrongPassword(dev)
		c, err := h.Open(ctx, bad, req)
		if err == nil {
			c.Close()
			t.Fatal("Open with a wrong password succeeded; Connect must authenticate (return sdk.CreationError(false, ...))")
		}
		var ce *host.CreationError
		switch {
		case !errors.As(err, &ce):
			t.Errorf("wrong password: got %v (%T), want *host.CreationError", err, err)
		case ce.Retryable:
			t.Errorf("wrong password: %v: Retryable is true; a retry cannot fix credentials", err)
		}
		checkErrorText(t, err, bad)
	})

	r.check(t, "unreachable-error", func(t *testing.T) {
		ctx, cancel := r.ctx(t)
		defer cancel()
		bad := r.cfg.Unreachable(dev)
		c, err := h.Open(ctx, bad, req)
		if err == nil {
			c.Close()
			t.Fatalf("Open of an unreachable device (%s:%d) succeeded", bad.Host, bad.Port)
		}
		var ce *host.CreationError
		switch {
		case !errors.As(err, &ce):
			t.Errorf("unreachable: got %v (%T), want *host.CreationError", err, err)
		case !ce.Retryable:
			t.Errorf("unreachable: %v: Retryable is false; a retry may help once the device is back", err)
		}
		if ctx.Err() != nil {
			t.Errorf("unreachable: the plugin took the whole %v to give up", r.cfg.Timeout)
		}
		checkErrorText(t, err, bad)
	})

	r.check(t, "deferred", func(t *testing.T) {
		ctx, cancel := r.ctx(t)
		defer cancel()
		dreq := req
		dreq.Deferred = true
		c, err := h.Open(ctx, dev, dreq)
		if err != nil {
			t.Fatalf("deferred Open: %v", err)
		}
		defer c.Close()
		if len(probes) > 0 {
			wantState(t, probes[0].name+" before Connect", probes[0].run(ctx, t, c), host.StateNotInitialised)
		}
		if err := c.Connect(ctx); err != nil {
			t.Fatalf("Connect: %v", err)
		}
		wantState(t, "second Connect", c.Connect(ctx), host.StateAlreadyInitialised)
		if len(probes) > 0 {
			if err := probes[0].run(ctx, t, c); unanswered(ctx, err) != "" {
				t.Errorf("%s after a deferred Connect: %v", probes[0].name, err)
			}
		}
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
}

// checkErrorText checks what every host error must carry: the device id,
// the root, and never the device's password.
func checkErrorText(t *testing.T, err error, d sdk.Device) {
	t.Helper()
	if !errors.Is(err, host.ErrConnection) {
		t.Errorf("errors.Is(err, host.ErrConnection) is false for %v", err)
	}
	if d.ID != "" && !strings.Contains(err.Error(), d.ID) {
		t.Errorf("the error does not name device %s: %v", d.ID, err)
	}
	for _, s := range d.Secrets() {
		// A secret equal to the user name (labs) cannot be told apart.
		if s != d.Username && len(s) >= 6 && strings.Contains(err.Error(), s) {
			t.Errorf("the error quotes a secret of the device: %v", err)
		}
	}
}

// wantState checks err is a *host.StateError in state.
func wantState(t *testing.T, what string, err error, state string) {
	t.Helper()
	var se *host.StateError
	if !errors.As(err, &se) || se.State != state {
		t.Errorf("%s: got %v (%T), want *host.StateError %q", what, err, err, state)
	}
}

// unanswered says why err shows the call did not get an answer from the
// device through the plugin, or "" when it did.
func unanswered(ctx context.Context, err error) string {
	if err == nil {
		return ""
	}
	var (
		se *sdk.Error
		st *host.StateError
		op *host.OperationError
		ni *host.NotImplementedError
	)
	switch {
	case errors.As(err, &se) && se.Kind == sdk.KindInternal:
		return "internal error in the plugin"
	case errors.As(err, &st) && st.State == host.StatePluginDied:
		return "the plugin process died or hung"
	case errors.As(err, &ni):
		return "a declared capability is not implemented"
	case ctx.Err() != nil:
		return "no answer in time"
	case errors.As(err, &op):
		// Transport failures and timeouts carry no plugin error kind.
		for _, p := range []string{"plugin call failed", "deadline exceeded"} {
			if strings.HasPrefix(op.Reason, p) {
				return p
			}
		}
		return ""
	case !errors.Is(err, host.ErrConnection):
		return "not a netyard error"
	}
	return ""
}

type probe struct {
	name string
	run  Probe
}

// probes lists the entry's capabilities with their probe, Config.Probes
// first, without the skipped ones.
func (r *runner) probes(e sdk.ManifestEntry) []probe {
	var out []probe
	for _, c := range e.Capabilities {
		p := r.cfg.Probes[c]
		if p == nil {
			p = defaultProbes[c]
		}
		if _, skipped := r.skips[c]; skipped || p == nil {
			continue
		}
		out = append(out, probe{c, p})
	}
	return out
}

// defaultProbes are harmless calls, one per standard capability.
var defaultProbes = map[string]Probe{
	sdk.CapCLI: func(ctx context.Context, t *testing.T, c *host.Conn) error {
		r, err := c.CLI().SendCommand(ctx, "show version")
		if err == nil {
			t.Logf("cli: show version: failed=%v, %d bytes in %v", r.Failed, len(r.Result), r.Elapsed)
		}
		return err
	},
	sdk.CapCLIConfig: func(ctx context.Context, t *testing.T, c *host.Conn) error {
		// No lines: into configuration mode and out again, changing nothing.
		r, err := c.CLIConfig().SendConfig(ctx, sdk.ConfigRequest{})
		if err == nil {
			t.Logf("cli.config: no lines: failed=%v committed=%v", r.Failed, r.Committed)
		}
		return err
	},
	sdk.CapDeviceInfo: func(ctx context.Context, t *testing.T, c *host.Conn) error {
		v, err := c.DeviceInfo().GetVersion(ctx)
		if err == nil {
			t.Logf("device_info: hostname %q vendor %q model %q release %q", v.Hostname, v.Vendor, v.Model, v.SoftwareRelease)
			if v == (sdk.DeviceInfo{}) {
				return fmt.Errorf("device_info: GetVersion returned no facts at all")
			}
		}
		return err
	},
	sdk.CapNETCONF: func(ctx context.Context, t *testing.T, c *host.Conn) error {
		caps, err := c.NETCONF().ServerCapabilities(ctx)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(caps, func(s string) bool { return strings.HasPrefix(s, "urn:ietf:params:netconf:base:") }) {
			return fmt.Errorf("netconf: the server capabilities name no base protocol: %v", caps)
		}
		r, err := c.NETCONF().GetConfig(ctx, "running", sdk.NetconfFilter{})
		if err == nil {
			t.Logf("netconf: %d capabilities; get-config running: ok=%v, %d bytes", len(caps), r.OK, len(r.Data))
		}
		return err
	},
	sdk.CapAPI: func(ctx context.Context, t *testing.T, c *host.Conn) error {
		r, err := c.API().Do(ctx, sdk.APIRequest{Method: "GET", Path: "/"})
		if err == nil {
			t.Logf("api: GET / = %d, %d bytes", r.Status, len(r.Body))
		}
		return err
	},
	sdk.CapRESTCONF: func(ctx context.Context, t *testing.T, c *host.Conn) error {
		r, err := c.RESTCONF().Get(ctx, "")
		if err == nil {
			t.Logf("restconf: GET data root = %d, %d bytes", r.Status, len(r.Body))
		}
		return err
	},
}

// checkLeaks opens and closes a session for every entry on a fresh host,
// closes the host, and checks that no plugin process, file descriptor or
// goroutine is left.
func (r *runner) checkLeaks(t *testing.T) {
	devs := make([]*sdk.Device, len(r.m.Provides))
	for i, e := range r.m.Provides {
		if devs[i] = r.device(t, e); devs[i] == nil {
			return
		}
	}
	// Let connections of the earlier checks finish closing first.
	time.Sleep(50 * time.Millisecond)
	fdsBefore, fdErr := openFDs()
	ignore := goleak.IgnoreCurrent()

	h := r.newHost(t)
	ctx, cancel := r.ctx(t)
	defer cancel()
	probes := map[int][]probe{}
	for i, e := range r.m.Provides {
		probes[i] = r.probes(e)
		c, err := h.Open(ctx, *devs[i], host.Request{Type: e.Type, Library: e.Library})
		if err != nil {
			t.Fatalf("Open %s/%s: %v", e.Type, e.Library, err)
		}
		if len(probes[i]) > 0 {
			_ = probes[i][0].run(ctx, t, c)
		}
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
	if err := h.Close(); err != nil {
		t.Errorf("host Close: %v", err)
	}
	r.waitNoProcesses(t)
	if fdErr == nil {
		deadline := time.Now().Add(5 * time.Second)
		for {
			n, _ := openFDs()
			if n <= fdsBefore {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("%d file descriptors open after the host closed, %d before", n, fdsBefore)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	} else {
		t.Logf("file descriptors not checked: %v", fdErr)
	}
	if err := goleak.Find(ignore); err != nil {
		t.Errorf("goroutines left after the host closed: %v", err)
	}
}

// waitNoProcesses waits until no process runs the plugin's binary.
func (r *runner) waitNoProcesses(t *testing.T) {
	t.Helper()
	bin := r.m.CommandPath()
	deadline := time.Now().Add(5 * time.Second)
	for {
		pids, err := processesOf(bin)
		if err != nil {
			t.Logf("plugin processes not checked: %v", err)
			return
		}
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("plugin process(es) %v of %s still running after the host closed", pids, bin)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// processesOf lists the live processes whose executable is bin, from /proc.
func processesOf(bin string) ([]int, error) {
	if runtime.GOOS != "linux" {
		return nil, fmt.Errorf("no /proc on %s", runtime.GOOS)
	}
	want, err := filepath.Abs(bin)
	if err != nil {
		return nil, err
	}
	if r, err := filepath.EvalSymlinks(want); err == nil {
		want = r
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil {
			continue
		}
		exe, err := os.Readlink("/proc/" + e.Name() + "/exe")
		if err != nil {
			continue // gone, a zombie, or not ours to read
		}
		if strings.TrimSuffix(exe, " (deleted)") == want {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// openFDs counts this process's open file descriptors.
func openFDs() (int, error) {
	if runtime.GOOS != "linux" {
		return 0, fmt.Errorf("no /proc on %s", runtime.GOOS)
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0, err
	}
	return len(ents) - 1, nil // ReadDir's own descriptor
}

// closedPort returns a loopback port nothing listens on (it was just
// released; nothing else on a test machine is likely to take it at once).
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("sdktest: find a closed port: %v", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func wrongPassword(d sdk.Device) sdk.Device {
	d.Password = fmt.Sprintf("%s%d", WrongPasswordValue, time.Now().UnixNano()%1e6)
	d.PrivateKey, d.Passphrase = nil, ""
	return d
}

// logBuffer collects the host's log lines, plugin stderr included, for the
// secret check and for the failure report. Writes may come after the test
// ended, so it never calls t.Log itself.
type logBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.buf) < 8<<20 {
		b.buf = append(b.buf, p...)
	}
	return len(p), nil
}

func (b *logBuffer) contains(s string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Contains(string(b.buf), s)
}

func (b *logBuffer) grep(s string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for line := range strings.Lines(string(b.buf)) {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}

func (b *logBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	lines := strings.SplitAfter(string(b.buf), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "")
}
