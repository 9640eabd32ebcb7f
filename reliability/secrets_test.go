package reliability

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/sdk"
	"github.com/netyard/netyard/sim"
)

// Wrong credentials tried in TestNoSecretsAnywhere: they must not leak either.
const (
	wrongPassword = "Rel-WrongPw-u8Rt%2"
	wrongEnable   = "Rel-WrongEn-Kq5&zm"
)

// TestNoSecretsAnywhere runs every plugin at trace level (the host passes
// its level to the plugins) with scrapli-ssh's channel log on, does real
// work and fails in every way credentials can fail, and greps everything
// for the password and the enable secret (right and wrong ones): the host
// log (which carries the plugins' stderr), every error message, and the
// command lines and environments of the plugin processes and their ssh
// children. The netconf and httpx-api plugins have no channel-log option
// (docs/plugins/netconf.md, httpx-api.md); they run at trace.
func TestNoSecretsAnywhere(t *testing.T) {
	e := newEnv(t, envOptions{level: hclog.Trace, fleet: sim.FleetSpec{IOS: 1, EOS: 1, Junos: 1, NETCONF: 1, HTTP: 1}})
	ctx := ctxT(t, 90*time.Second)
	var out []string // every error message and report
	note := func(what string, err error) {
		if err != nil {
			out = append(out, what+": "+err.Error())
			wantTyped(t, what, err)
		}
	}
	var procText []string
	snapshotProcs := func() {
		pids := e.sshProcesses()
		for _, ps := range pluginPIDs(e.h) {
			pids = append(pids, ps...)
		}
		for _, pid := range pids {
			for _, f := range []string{"cmdline", "environ"} {
				b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/" + f)
				procText = append(procText, string(b))
			}
		}
	}
	chan_ := map[string]string{"channel_log": "true"}
	withOpts := func(a, b map[string]string) map[string]string {
		o := map[string]string{}
		for k, v := range a {
			o[k] = v
		}
		for k, v := range b {
			o[k] = v
		}
		return o
	}

	// scrapli-ssh: work on each platform, both transports, channel log on.
	for _, d := range e.cli {
		for _, tr := range []string{"standard", "system"} {
			dev := e.sshDevice(d, withOpts(chan_, map[string]string{"transport": tr}))
			c, err := e.h.Open(ctx, dev, sshReq)
			note("ssh open "+d.Name()+" "+tr, err)
			if err != nil {
				t.Errorf("open %s (%s): %v", d.Name(), tr, err)
				continue
			}
			_, err = c.DeviceInfo().GetVersion(ctx)
			note("ssh version", err)
			var lines []string
			switch d.Spec().Platform {
			case "juniper_junos":
				lines = []string{"set system login message by-netyard"}
			default:
				lines = []string{"interface Loopback9", "description by-netyard"}
			}
			r, err := c.CLIConfig().SendConfig(ctx, sdk.ConfigRequest{Lines: lines})
			note("ssh config", err)
			out = append(out, fmt.Sprintf("%+v", r))
			_, err = c.CLI().SendCommand(ctx, "show bogus thing")
			note("ssh bad command", err)
			snapshotProcs()
			note("ssh close", c.Close())
		}
	}
	ios := e.cli[0]
	for _, tr := range []string{"standard", "system"} {
		// Wrong enable secret, wrong password, a device refusing every login.
		dev := e.sshDevice(ios, withOpts(chan_, map[string]string{"transport": tr}))
		dev.EnableSecret = wrongEnable
		c, err := e.h.Open(ctx, dev, sshReq)
		if err == nil {
			// The simulator may log straight into privileged mode; make the
			// enable secret travel anyway.
			_, err = c.CLI().SendCommand(ctx, "disable")
			note("ssh disable", err)
			_, err = c.CLIConfig().SendConfig(ctx, sdk.ConfigRequest{Lines: []string{"interface Loopback8"}})
			note("ssh config after disable (wrong enable secret)", err)
			c.Close()
		}
		note("ssh wrong enable "+tr, err)
		dev = e.sshDevice(ios, withOpts(chan_, map[string]string{"transport": tr}))
		dev.Password = wrongPassword
		_, err = e.h.Open(ctx, dev, sshReq)
		note("ssh wrong password "+tr, err)
		if host.Kind(err) != "creation" {
			t.Errorf("wrong password over %s: want a Creation error, got %v", tr, err)
		}
		ios.SetFaults(sim.Faults{AuthFail: true})
		_, err = e.h.Open(ctx, e.sshDevice(ios, withOpts(chan_, map[string]string{"transport": tr})), sshReq)
		ios.SetFaults(sim.Faults{})
		note("ssh auth fail "+tr, err)
	}
	// A connection dropped mid-session.
	if c, err := e.h.Open(ctx, e.sshDevice(ios, chan_), sshReq); err == nil {
		ios.SetFaults(sim.Faults{DropAfter: 1})
		_, err = c.CLI().SendCommands(ctx, sdk.CommandsRequest{Commands: []string{"show version", "show version"}})
		note("ssh dropped", err)
		ios.SetFaults(sim.Faults{})
		c.Close()
	}

	// netconf: work, wrong password, auth failure.
	nc := e.nc[0]
	if c, err := e.h.Open(ctx, e.netconfDevice(nc, nil), netconfReq); err != nil {
		t.Errorf("netconf open: %v", err)
	} else {
		_, err = c.NETCONF().GetConfig(ctx, "running", sdk.NetconfFilter{})
		note("netconf get-config", err)
		_, err = c.DeviceInfo().GetVersion(ctx)
		note("netconf version", err)
		_, err = c.NETCONF().RPC(ctx, "<bogus-rpc/>")
		note("netconf bogus rpc", err)
		snapshotProcs()
		c.Close()
	}
	dev := e.netconfDevice(nc, nil)
	dev.Password = wrongPassword
	_, err := e.h.Open(ctx, dev, netconfReq)
	note("netconf wrong password", err)
	if host.Kind(err) != "creation" {
		t.Errorf("netconf wrong password: want a Creation error, got %v", err)
	}

	// httpx-api: basic and token auth, api and restconf, wrong passwords.
	web := e.web[0]
	for _, o := range []map[string]string{
		{"probe_path": "/api/v1/system"},
		{"auth": "token"},
		{"scheme": "https", "ca_file": e.caFile, "auth": "token"},
	} {
		for _, req := range []host.Request{apiReq, restconfReq} {
			dev := e.apiDevice(web, o)
			if o["scheme"] == "https" {
				dev.Port = 0
				_, dev.Port = hostPort(t, web.HTTPSAddr())
			}
			c, err := e.h.Open(ctx, dev, req)
			note("http open", err)
			if err == nil {
				_, err = c.DeviceInfo().GetVersion(ctx)
				note("http version", err)
				snapshotProcs()
				c.Close()
			}
			dev.Password = wrongPassword
			_, err = e.h.Open(ctx, dev, req)
			note("http wrong password", err)
			if req.Type == "api" && host.Kind(err) != "creation" {
				t.Errorf("http %v wrong password: want a Creation error, got %v", o, err)
			}
		}
	}

	e.h.Close() // flush the plugins' stderr into the host log
	logs := e.logs.String()
	if !strings.Contains(logs, "channel") || !strings.Contains(logs, `"@level":"trace"`) && !strings.Contains(logs, `"@level":"debug"`) {
		t.Errorf("no channel log or trace lines reached the host log: the test proves nothing")
	}
	everything := map[string]string{
		"host log (with plugin stderr)":            logs,
		"error messages and results":               strings.Join(out, "\n"),
		"plugin and ssh command lines/environment": strings.Join(procText, "\n"),
	}
	for where, text := range everything {
		for name, sec := range map[string]string{"password": password, "enable secret": enableSecret,
			"wrong password": wrongPassword, "wrong enable secret": wrongEnable} {
			if i := strings.Index(text, sec); i >= 0 {
				t.Errorf("the %s appears in the %s: ...%s...", name, where, text[max(0, i-200):i])
			}
		}
	}
	t.Logf("secrets: grepped %d KiB of host log (%d lines, %d redactions), %d error messages/results, %d /proc entries",
		len(logs)>>10, strings.Count(logs, "\n"), strings.Count(logs, sdk.Redacted), len(out), len(procText))
	if testing.Verbose() {
		for _, o := range out {
			t.Log(o)
		}
	}
}
