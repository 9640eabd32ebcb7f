package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/netyard/netyard/internal/testenv"
	"github.com/netyard/netyard/sim"
)

// runFixture is a simulator with its Nornir inventory and the real plugins.
type runFixture struct {
	s       *sim.Sim
	inv     string
	plugins string
}

func newRunFixture(t *testing.T, spec sim.FleetSpec) *runFixture {
	t.Helper()
	s, err := sim.Fleet(context.Background(), sim.Options{}, spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	inv := filepath.Join(t.TempDir(), "inventory")
	if err := s.WriteInventory(inv); err != nil {
		t.Fatal(err)
	}
	return &runFixture{s: s, inv: inv, plugins: testenv.PluginDir(t, "scrapli-ssh", "netconf", "httpx-api")}
}

// run runs "netyard run" against the fixture's inventory and plugins.
func (f *runFixture) run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return f.runCtx(t, context.Background(), args...)
}

func (f *runFixture) runCtx(t *testing.T, ctx context.Context, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(ctx, append([]string{"run", "--plugin-dir", f.plugins, "-i", f.inv}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// jsonResult mirrors hostResult for decoding.
type jsonResult struct {
	Host      string          `json:"host"`
	OK        bool            `json:"ok"`
	Plugin    string          `json:"plugin"`
	Type      string          `json:"type"`
	Library   string          `json:"library"`
	Attempts  int             `json:"attempts"`
	ElapsedMS float64         `json:"elapsed_ms"`
	Elapsed   string          `json:"elapsed"`
	Result    json.RawMessage `json:"result"`
	Error     *errInfo        `json:"error"`
}

func decodeJSON(t *testing.T, s string) []jsonResult {
	t.Helper()
	var rs []jsonResult
	if err := json.Unmarshal([]byte(s), &rs); err != nil {
		t.Fatalf("output is not a JSON array: %v\n%s", err, s)
	}
	return rs
}

func decodeJSONL(t *testing.T, s string) map[string]jsonResult {
	t.Helper()
	out := map[string]jsonResult{}
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var r jsonResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line is not JSON: %v\n%s", err, sc.Text())
		}
		out[r.Host] = r
	}
	return out
}

// noProgress fails when stderr holds anything a progress bar would draw.
func noProgress(t *testing.T, stderr string) {
	t.Helper()
	if strings.ContainsAny(stderr, "\x1b\r") || strings.Contains(stderr, "ok 0") {
		t.Errorf("progress bar drawn while piped: %q", stderr)
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRunActions runs every action in every output format against the
// simulator through the real plugins.
func TestRunActions(t *testing.T) {
	f := newRunFixture(t, sim.FleetSpec{IOS: 2, EOS: 1, Junos: 1, NETCONF: 1, HTTP: 1})
	const ifEdit = `<config><interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>run0</name>` +
		`<description>set-by-netyard-run</description><type xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">ianaift:softwareLoopback</type></interface></interfaces></config>`

	t.Run("command/table", func(t *testing.T) {
		code, out, errs := f.run(t, "--group", "cisco_iosxe", "--hosts", "ios1,ios2,eos1", "--command", "show version", "--command", "show clock")
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, out, errs)
		}
		for _, want := range []string{"=== ios1: ok (scrapli-ssh", "=== ios2: ok", "--- show version", "Cisco IOS XE Software",
			"--- show clock", "HOST  STATUS  PLUGIN", "ios2  ok      scrapli-ssh  1", "2 command(s)", "2 hosts: 2 ok, 0 failed"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "eos1") {
			t.Error("--group cisco_iosxe selected eos1")
		}
		noProgress(t, errs)
	})

	t.Run("get-version/json", func(t *testing.T) {
		code, out, errs := f.run(t, "--filter", "simulated=true", "--filter", "vendor!=Cisco", "--get-version", "-o", "json")
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, out, errs)
		}
		rs := decodeJSON(t, out)
		if len(rs) != 2 || rs[0].Host != "eos1" || rs[1].Host != "junos1" {
			t.Fatalf("hosts: %+v", rs)
		}
		for _, r := range rs {
			var v map[string]string
			json.Unmarshal(r.Result, &v)
			d := f.s.Device(r.Host).Spec()
			if !r.OK || r.Plugin != "scrapli-ssh" || r.Type != "ssh" || r.Library != "scrapli" || r.Attempts != 1 || r.ElapsedMS <= 0 || r.Elapsed == "" ||
				v["hostname"] != r.Host || v["serial"] != d.Serial || v["software_release"] != d.Version || r.Error != nil {
				t.Errorf("%+v %v", r, v)
			}
		}
		if !strings.Contains(errs, "2 hosts: 2 ok, 0 failed") {
			t.Errorf("stderr: %q", errs)
		}
		noProgress(t, errs)
	})

	t.Run("config-file/jsonl", func(t *testing.T) {
		cfg := writeFile(t, "lo.cfg", "! a comment\ninterface Loopback123\n description set-by-netyard-run\n\n")
		code, out, errs := f.run(t, "--hosts", "ios1,eos1", "--config-file", cfg, "-o", "jsonl")
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, out, errs)
		}
		rs := decodeJSONL(t, out)
		if len(rs) != 2 || !rs["ios1"].OK || !rs["eos1"].OK {
			t.Fatalf("%+v", rs)
		}
		var res struct {
			Responses []cmdResult `json:"responses"`
			Failed    bool        `json:"failed"`
		}
		json.Unmarshal(rs["ios1"].Result, &res)
		if len(res.Responses) != 2 || res.Failed || res.Responses[0].Command != "interface Loopback123" {
			t.Errorf("result %s", rs["ios1"].Result)
		}
		for _, h := range []string{"ios1", "eos1"} {
			if !strings.Contains(f.s.Device(h).RunningConfig(), "set-by-netyard-run") {
				t.Errorf("%s: change not in the running-config", h)
			}
		}
		noProgress(t, errs)
	})

	t.Run("command/raw", func(t *testing.T) {
		code, out, errs := f.run(t, "--hosts", "ios1", "--command", "show running-config", "-o", "raw")
		if code != 0 || !strings.HasPrefix(out, "Building configuration") && !strings.Contains(out, "hostname ios1") || strings.Contains(out, "===") {
			t.Fatalf("exit %d\n%s\n%s", code, out, errs)
		}
		code, out, _ = f.run(t, "--hosts", "ios1,ios2", "--command", "show clock", "-o", "raw")
		if code != 0 || !strings.Contains(out, "### ios1\n") || !strings.Contains(out, "### ios2\n") {
			t.Fatalf("exit %d\n%s", code, out)
		}
	})

	t.Run("netconf-edit-config/table+get-config/raw", func(t *testing.T) {
		edit := writeFile(t, "edit.xml", ifEdit)
		code, out, errs := f.run(t, "--hosts", "nc1", "--netconf-edit-config", edit)
		if code != 0 || !strings.Contains(out, "=== nc1: ok (netconf") || !strings.Contains(out, "edited running") {
			t.Fatalf("exit %d\n%s\n%s", code, out, errs)
		}
		code, out, errs = f.run(t, "--hosts", "nc1", "--netconf-get-config", "--source", "running", "-o", "raw")
		if code != 0 || !strings.Contains(out, "<interfaces") || !strings.Contains(out, "set-by-netyard-run") {
			t.Fatalf("exit %d\n%s\n%s", code, out, errs)
		}
		noProgress(t, errs)
	})

	t.Run("netconf-get-config/json", func(t *testing.T) {
		code, out, errs := f.run(t, "--hosts", "nc1", "--netconf-get-config", "-o", "json")
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, out, errs)
		}
		rs := decodeJSON(t, out)
		var res struct {
			Source string `json:"source"`
			OK     bool   `json:"ok"`
			Data   string `json:"data"`
		}
		json.Unmarshal(rs[0].Result, &res)
		if rs[0].Plugin != "netconf" || res.Source != "running" || !res.OK || !strings.Contains(res.Data, "run0") {
			t.Fatalf("%+v %+v", rs[0], res)
		}
	})

	t.Run("netconf-edit-config/rpc-error", func(t *testing.T) {
		bad := writeFile(t, "bad.xml", `<config><interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces">`+
			`<interface xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="delete"><name>nonexistent</name></interface></interfaces></config>`)
		code, out, errs := f.run(t, "--hosts", "nc1", "--netconf-edit-config", bad, "-o", "json")
		rs := decodeJSON(t, out)
		if code != 1 || rs[0].OK || rs[0].Error == nil || rs[0].Error.Kind != kindRPCError {
			t.Fatalf("exit %d\n%s\n%s", code, out, errs)
		}
	})

	t.Run("api/jsonl", func(t *testing.T) {
		code, out, errs := f.run(t, "--hosts", "http1", "--api", "GET /api/v1/system", "-o", "jsonl")
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, out, errs)
		}
		r := decodeJSONL(t, out)["http1"]
		var res struct {
			Status int               `json:"status"`
			Body   map[string]any    `json:"body"`
			Hdrs   map[string]string `json:"headers"`
		}
		if err := json.Unmarshal(r.Result, &res); err != nil || res.Status != 200 || res.Body["hostname"] != "http1" || r.Plugin != "httpx-api" || r.Type != "api" {
			t.Fatalf("%v %+v %s", err, r, r.Result)
		}
	})

	t.Run("api/404", func(t *testing.T) {
		code, out, _ := f.run(t, "--hosts", "http1", "--api", "get /api/v1/nope", "-o", "json")
		rs := decodeJSON(t, out)
		if code != 1 || rs[0].Error == nil || rs[0].Error.Kind != kindHTTPStatus || rs[0].Error.Message != "HTTP 404" {
			t.Fatalf("exit %d\n%s", code, out)
		}
	})

	t.Run("restconf-get/table", func(t *testing.T) {
		code, out, errs := f.run(t, "--hosts", "http1", "--restconf-get", "ietf-interfaces:interfaces")
		if code != 0 || !strings.Contains(out, "=== http1: ok (httpx-api") || !strings.Contains(out, `"ietf-interfaces:interfaces"`) || !strings.Contains(out, "HTTP 200") {
			t.Fatalf("exit %d\n%s\n%s", code, out, errs)
		}
	})

	t.Run("restconf-get/raw-missing", func(t *testing.T) {
		code, out, errs := f.run(t, "--hosts", "http1", "--restconf-get", "ietf-interfaces:nope", "-o", "raw")
		if code != 1 || !strings.Contains(errs, "1 host: 0 ok, 1 failed") {
			t.Fatalf("exit %d\n%s\n%s", code, out, errs)
		}
	})

	t.Run("get-version/type-netconf", func(t *testing.T) {
		// device_info over another type: --type picks the connection_options entry and plugin.
		code, out, errs := f.run(t, "--hosts", "nc1", "--get-version", "--type", "netconf", "-o", "json")
		rs := decodeJSON(t, out)
		if code != 0 || rs[0].Plugin != "netconf" {
			t.Fatalf("exit %d\n%s\n%s", code, out, errs)
		}
	})
}

// TestRunFailingHost: one device refuses logins among many; the others
// succeed, the run exits 1 and says which host failed and why.
func TestRunFailingHost(t *testing.T) {
	f := newRunFixture(t, sim.FleetSpec{IOS: 6, EOS: 2})
	f.s.Device("ios4").SetFaults(sim.Faults{AuthFail: true})

	code, out, errs := f.run(t, "--get-version", "--workers", "3", "-o", "json")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errs)
	}
	rs := decodeJSON(t, out)
	if len(rs) != 8 {
		t.Fatalf("%d results", len(rs))
	}
	for _, r := range rs {
		switch {
		case r.Host == "ios4":
			if r.OK || r.Error == nil || r.Error.Kind != "creation" || r.Error.Retryable || !strings.Contains(r.Error.Message, "ios4") {
				t.Errorf("ios4: %+v %+v", r, r.Error)
			}
		case !r.OK:
			t.Errorf("%s failed: %+v", r.Host, r.Error)
		}
	}
	if !strings.Contains(errs, "8 hosts: 7 ok, 1 failed") {
		t.Errorf("stderr %q", errs)
	}
	// Table: the summary names the failure; retries do not retry an auth failure.
	code, out, _ = f.run(t, "--get-version", "--retries", "3", "--retry-backoff", "1ms")
	if code != 1 || !strings.Contains(out, "ios4  FAILED  scrapli-ssh  1 ") || !strings.Contains(out, "8 hosts: 7 ok, 1 failed") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

// TestRunRetries: an unreachable host is retried with backoff.
func TestRunRetries(t *testing.T) {
	f := newRunFixture(t, sim.FleetSpec{IOS: 1})
	inv := writeFile(t, "inv.yaml", `
defaults: {username: netops, password: netops, platform: cisco_iosxe, hostname: 127.0.0.1}
hosts:
  closed: {port: 1}
`)
	var out, errb bytes.Buffer
	start := time.Now()
	code := run(context.Background(), []string{"run", "--plugin-dir", f.plugins, "-i", inv, "--get-version",
		"--retries", "2", "--retry-backoff", "50ms", "-o", "json"}, &out, &errb)
	rs := decodeJSON(t, out.String())
	if code != 1 || rs[0].Attempts != 3 || rs[0].Error.Kind != "creation" || !rs[0].Error.Retryable {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	// 50ms + 100ms of backoff, less 20% jitter.
	if el := time.Since(start); el < 120*time.Millisecond {
		t.Errorf("three attempts in %s: no backoff", el)
	}
}

// TestRunCredentialsFromEnv: passwords named by environment variables, and
// a missing variable is a configuration error (exit 2) naming host, field
// and variable, before anything is contacted.
func TestRunCredentialsFromEnv(t *testing.T) {
	f := newRunFixture(t, sim.FleetSpec{IOS: 2})
	var hosts strings.Builder
	for _, d := range f.s.Devices() {
		fmt.Fprintf(&hosts, "  %s: {port: %d}\n", d.Name(), portOf(d.SSHAddr()))
	}
	inv := writeFile(t, "inv.yaml", `
defaults:
  hostname: 127.0.0.1
  platform: cisco_iosxe
  username: netops
  password_env: NETYARD_TEST_PW
  connection_options:
    scrapli:
      extras: {auth_secondary_env: NETYARD_TEST_ENABLE, auth_strict_key: false}
hosts:
`+hosts.String())
	args := []string{"run", "--plugin-dir", f.plugins, "-i", inv, "--config-file", writeFile(t, "c.cfg", "interface Loopback7\n description env-test\n")}
	var out, errb bytes.Buffer
	t.Setenv("NETYARD_TEST_PW", "netops")
	code := run(context.Background(), args, &out, &errb)
	if code != exitUsage || !strings.Contains(errb.String(), "host ios1: connection_options.scrapli.extras.auth_secondary_env: environment variable NETYARD_TEST_ENABLE is not set") ||
		!strings.Contains(errb.String(), "nothing was run") {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	if st := f.s.Device("ios1").Stats(); st.Logins != 0 {
		t.Errorf("a device was contacted despite the configuration error: %+v", st)
	}
	t.Setenv("NETYARD_TEST_ENABLE", "netops")
	out.Reset()
	errb.Reset()
	if code := run(context.Background(), args, &out, &errb); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	if !strings.Contains(f.s.Device("ios2").RunningConfig(), "env-test") {
		t.Error("change not applied")
	}
}

// TestRunUsage: usage and configuration errors exit 2 and contact nothing.
func TestRunUsage(t *testing.T) {
	f := newRunFixture(t, sim.FleetSpec{IOS: 1})
	tests := []struct {
		args []string
		want string
	}{
		{[]string{}, "no action"},
		{[]string{"--get-version", "--command", "x"}, "one action per run, got --command, --get-version"},
		{[]string{"--get-version", "-o", "yaml"}, `--output "yaml": expected table, json, jsonl, raw`},
		{[]string{"--get-version", "--workers", "0"}, "--workers 0"},
		{[]string{"--get-version", "--body", "x"}, "--body applies to --api only"},
		{[]string{"--command", "x", "--source", "candidate"}, "--source applies to --netconf-get-config only"},
		{[]string{"--api", "/x"}, "expected 'METHOD PATH'"},
		{[]string{"--config-file", "/nonexistent"}, "no such file"},
		{[]string{"--get-version", "--hosts", "ios1,nope"}, "host nope: no such host in the inventory"},
		{[]string{"--get-version", "--group", "nope"}, "group nope: no such group"},
		{[]string{"--get-version", "--filter", "vendor=Nobody"}, "no host matches"},
		{[]string{"--get-version", "--type", "netconf"}, "device ios1:"}, // no netconf port: resolves, but ...
		{[]string{"--get-version", "--library", "netmiko"}, "no plugin"},
		{[]string{"--get-version", "--bogus"}, "unknown flag: --bogus"},
	}
	for _, tt := range tests {
		code, out, errs := f.run(t, tt.args...)
		if tt.want == "device ios1:" {
			// ios1 has no NETCONF service: that is a runtime failure, not usage.
			if code != 1 {
				t.Errorf("%v: exit %d\n%s%s", tt.args, code, out, errs)
			}
			continue
		}
		if code != exitUsage || !strings.Contains(errs, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, code, errs, tt.want)
		}
	}
	// A broken inventory names file, host and field.
	bad := writeFile(t, "bad.yaml", "hosts:\n  r1: {port: ssh}\n")
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"run", "--plugin-dir", f.plugins, "-i", bad, "--get-version"}, &out, &errb)
	if code != exitUsage || !strings.Contains(errb.String(), bad+":2: host r1: port: expected an integer") {
		t.Errorf("exit %d: %s", code, errb.String())
	}
	if st := f.s.Device("ios1").Stats(); st.Logins != 0 {
		t.Errorf("usage errors contacted a device: %+v", st)
	}
}

// TestRunProgressTTY: on a terminal the bar shows ok/failed counts; piped
// (every other test) it is absent.
func TestRunProgressTTY(t *testing.T) {
	f := newRunFixture(t, sim.FleetSpec{IOS: 2})
	f.s.Device("ios2").SetFaults(sim.Faults{AuthFail: true})
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatalf("no pty here: %v", err)
	}
	defer ptmx.Close()
	pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 120})
	var (
		screen bytes.Buffer
		wg     sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		io.Copy(&screen, ptmx) // until ptmx is closed
	}()
	var out bytes.Buffer
	code := run(context.Background(), []string{"run", "--plugin-dir", f.plugins, "-i", f.inv, "--get-version", "-o", "json"}, &out, tty)
	tty.Close()
	time.Sleep(100 * time.Millisecond) // let the copier drain
	ptmx.Close()
	wg.Wait()
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	s := screen.String()
	for _, want := range []string{"get-version", "2/2 hosts", "ok 1  failed 1"} {
		if !strings.Contains(s, want) {
			t.Errorf("terminal lacks %q: %q", want, s)
		}
	}
	if strings.Contains(out.String(), "hosts") || len(decodeJSON(t, out.String())) != 2 {
		t.Errorf("stdout is not plain JSON: %q", out.String())
	}
}

// TestRunCancel: cancelling the context (Ctrl-C) stops hung hosts promptly
// and reports them, exit 1.
func TestRunCancel(t *testing.T) {
	f := newRunFixture(t, sim.FleetSpec{IOS: 3})
	for _, d := range f.s.Devices() {
		d.SetFaults(sim.Faults{Hang: true})
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(700*time.Millisecond, cancel)
	start := time.Now()
	code, out, errs := f.runCtx(t, ctx, "--command", "show clock", "--workers", "2", "--retries", "3", "-o", "json")
	if el := time.Since(start); el > 15*time.Second {
		t.Errorf("cancel took %s", el)
	}
	if code != 1 || !strings.Contains(errs, "interrupted") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	rs := decodeJSON(t, out)
	if len(rs) != 3 {
		t.Fatalf("%d results", len(rs))
	}
	for _, r := range rs {
		if r.OK || r.Error == nil || r.Error.Kind != kindCanceled {
			t.Errorf("%s: %+v %+v", r.Host, r, r.Error)
		}
	}
}

func portOf(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}
