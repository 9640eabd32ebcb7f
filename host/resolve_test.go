package host_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netyard/netyard/host"
)

// resolveFixture is a small world of plugins:
//
//	scrapli-ssh  ssh/scrapli       cisco_iosxe arista_eos linux  cli cli.config device_info
//	             default for platform cisco_iosxe, for (cisco_iosxe, ssh) and (arista_eos, ssh)
//	netmiko-ssh  ssh/netmiko       cisco_iosxe arista_eos        cli cli.config
//	netconf      netconf/ncclient  *                             netconf device_info
//	httpx        api/httpx         arista_eos                    api       default for platform arista_eos
//	             restconf/httpx    *                             restconf
func resolveFixture(t *testing.T, defaults host.Defaults) *host.Registry {
	t.Helper()
	dir := pluginRoot(t)
	writePlugin(t, dir, "scrapli-ssh", `
  - type: ssh
    library: scrapli
    platforms: [cisco_iosxe, arista_eos, linux]
    capabilities: [cli, cli.config, device_info]
    default_for:
      platforms: [cisco_iosxe]
      types: [cisco_iosxe, arista_eos]
`)
	writePlugin(t, dir, "netmiko-ssh", `
  - type: ssh
    library: netmiko
    platforms: [cisco_iosxe, arista_eos]
    capabilities: [cli, cli.config]
`)
	writePlugin(t, dir, "netconf", `
  - type: netconf
    library: ncclient
    platforms: ["*"]
    capabilities: [netconf, device_info]
`)
	writePlugin(t, dir, "httpx", `
  - type: api
    library: httpx
    platforms: [arista_eos]
    capabilities: [api]
    default_for: {platforms: [arista_eos]}
  - type: restconf
    library: httpx
    platforms: ["*"]
    capabilities: [restconf]
`)
	r := host.Discover(host.Config{PluginDirs: []string{dir}, Defaults: defaults})
	wantNoProblems(t, r)
	return r
}

func TestResolve(t *testing.T) {
	iosxe := host.Device{ID: "r1", Platform: "cisco_iosxe", Host: "10.0.0.1", Username: "u", Password: "p"}
	on := func(platform string) host.Device { d := iosxe; d.Platform = platform; return d }
	hostDefaults := host.Defaults{
		Platforms: map[string]string{"cisco_iosxe": "ssh/netmiko"},
		Types:     map[string]string{"arista_eos/ssh": "netmiko"},
	}
	tests := []struct {
		name     string
		defaults host.Defaults
		dev      host.Device
		req      host.Request
		want     string // "plugin type/library", or the error kind
		warning  string
		detail   []string // substrings of the error
		explain  []string // substrings of the joined Explain
	}{
		// Step 1.
		{name: "device missing every field", dev: host.Device{ID: "r9"}, want: "validation",
			detail: []string{"device r9", "platform, host, username, password or private_key"}},
		{name: "key instead of password", dev: host.Device{ID: "r9", Platform: "linux", Host: "h", Username: "u", PrivateKey: []byte("k")},
			req: host.Request{Type: "ssh"}, want: "scrapli-ssh ssh/scrapli"},
		// Step 2.
		{name: "exact type and library", dev: iosxe, req: host.Request{Type: "ssh", Library: "netmiko"}, want: "netmiko-ssh ssh/netmiko",
			explain: []string{"drop scrapli-ssh ssh/scrapli: library scrapli, not netmiko", "keep netmiko-ssh ssh/netmiko: serves platform cisco_iosxe, type ssh, library netmiko"}},
		{name: "library alone", dev: iosxe, req: host.Request{Library: "ncclient"}, want: "netconf netconf/ncclient"},
		{name: "no such library lists what exists", dev: iosxe, req: host.Request{Type: "ssh", Library: "paramiko"}, want: "plugin_not_found",
			detail: []string{"device r1", "library paramiko", "netconf/ncclient (netconf)", "restconf/httpx (httpx)", "ssh/netmiko (netmiko-ssh)", "ssh/scrapli (scrapli-ssh)"}},
		{name: "unknown platform still has * entries", dev: on("vyos"), req: host.Request{Type: "ssh"}, want: "plugin_not_found",
			detail: []string{"type ssh", "netconf/ncclient (netconf), restconf/httpx (httpx)"}},
		{name: "* entry serves any platform", dev: on("vyos"), req: host.Request{Type: "netconf"}, want: "netconf netconf/ncclient",
			explain: []string{"keep netconf netconf/ncclient: serves every platform (*), type netconf", "4  keep netconf netconf/ncclient: the only candidate"}},
		// Step 3.
		{name: "capability picks the only full candidate", dev: iosxe, req: host.Request{Capabilities: []string{"netconf"}}, want: "netconf netconf/ncclient",
			explain: []string{"3  drop scrapli-ssh ssh/scrapli: lacks netconf", "3  keep netconf netconf/ncclient: has every required capability (netconf)"}},
		{name: "capability narrows, then type default", dev: iosxe, req: host.Request{Type: "ssh", Capabilities: []string{"cli", "device_info"}}, want: "scrapli-ssh ssh/scrapli",
			explain: []string{"drop netmiko-ssh ssh/netmiko: lacks device_info"}},
		{name: "none has all: the one with most wins with a warning", dev: iosxe,
			req: host.Request{Capabilities: []string{"cli", "cli.config", "device_info", "api"}}, want: "scrapli-ssh ssh/scrapli",
			warning: "using scrapli-ssh ssh/scrapli, which lacks api",
			explain: []string{"keep scrapli-ssh ssh/scrapli: no candidate has all of cli, cli.config, device_info, api; this one has 3 of 4 (lacks api)"}},
		{name: "tie on most is ambiguous at once, even with fallback", dev: iosxe,
			req: host.Request{Capabilities: []string{"cli", "netconf"}, Fallback: true}, want: "ambiguous",
			detail: []string{"tie with 1 of them", "ssh/scrapli (plugin scrapli-ssh; capabilities cli, cli.config, device_info)", "netconf/ncclient", "ssh/netmiko"}},
		// Step 4.
		{name: "one candidate", dev: on("linux"), req: host.Request{Type: "ssh"}, want: "scrapli-ssh ssh/scrapli"},
		// Step 5.
		{name: "several without fallback is ambiguous", dev: iosxe, req: host.Request{Type: "ssh"}, want: "ambiguous",
			detail: []string{"device r1", "fallback to defaults was not requested", "ssh/netmiko (plugin netmiko-ssh; capabilities cli, cli.config)", "ssh/scrapli (plugin scrapli-ssh"}},
		{name: "type default", dev: on("arista_eos"), req: host.Request{Type: "ssh", Fallback: true}, want: "scrapli-ssh ssh/scrapli",
			explain: []string{"5  keep scrapli-ssh ssh/scrapli: the (arista_eos, ssh) default (from "}},
		{name: "type default before platform default", dev: on("arista_eos"), req: host.Request{Type: "ssh", Fallback: true},
			defaults: host.Defaults{Platforms: map[string]string{"arista_eos": "ssh/netmiko"}}, want: "scrapli-ssh ssh/scrapli"},
		{name: "platform default without a type", dev: on("arista_eos"), req: host.Request{Fallback: true}, want: "httpx api/httpx",
			explain: []string{"platform arista_eos default (from"}},
		{name: "manifest type default beats host platform default", dev: iosxe, req: host.Request{Type: "ssh", Fallback: true},
			defaults: host.Defaults{Platforms: map[string]string{"cisco_iosxe": "ssh/netmiko"}}, want: "scrapli-ssh ssh/scrapli"},
		{name: "defaults are used only among the candidates", dev: on("arista_eos"), req: host.Request{Capabilities: []string{"cli"}, Fallback: true},
			want: "ambiguous", detail: []string{"no default is among them"},
			explain: []string{"the platform arista_eos default api/httpx (from ", "is not among the remaining candidates"}},
		// Host config beats manifests.
		{name: "host platform default beats manifest", defaults: hostDefaults, dev: iosxe, req: host.Request{Fallback: true}, want: "netmiko-ssh ssh/netmiko",
			explain: []string{"the platform cisco_iosxe default (from host config)"}},
		{name: "host type default beats manifest", defaults: hostDefaults, dev: on("arista_eos"), req: host.Request{Type: "ssh", Fallback: true}, want: "netmiko-ssh ssh/netmiko",
			explain: []string{"(from host config)"}},
		// Step 6.
		{name: "no default at all", dev: on("linux"), req: host.Request{Fallback: true}, want: "ambiguous",
			detail: []string{"no default is among them"}, explain: []string{"no platform linux default is registered"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := resolveFixture(t, tt.defaults)
			res, err := r.Resolve(tt.dev, tt.req)
			if res == nil {
				t.Fatal("nil Resolution")
			}
			var explain []string
			for _, s := range res.Explain {
				explain = append(explain, s.String())
			}
			joined := strings.Join(explain, "\n")
			defer func() {
				if t.Failed() {
					t.Logf("explain:\n%s", joined)
				}
			}()
			if err != nil {
				if got := host.Kind(err); got != tt.want {
					t.Fatalf("error kind %q (%v), want %s", got, err, tt.want)
				}
				if !errors.Is(err, host.ErrConnection) {
					t.Error("error does not match ErrConnection")
				}
				for _, s := range tt.detail {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not mention %q", err, s)
					}
				}
			} else {
				if got := res.Entry.String(); got != tt.want {
					t.Fatalf("resolved %s, want %s", got, tt.want)
				}
			}
			if tt.warning != "" && !strings.Contains(strings.Join(res.Warnings, "\n"), tt.warning) {
				t.Errorf("warnings %q, want one with %q", res.Warnings, tt.warning)
			}
			if tt.warning == "" && len(res.Warnings) > 0 {
				t.Errorf("unexpected warnings %q", res.Warnings)
			}
			for _, s := range tt.explain {
				if !strings.Contains(joined, s) {
					t.Errorf("explain lacks %q", s)
				}
			}
		})
	}
}

func TestResolveErrorsAreTyped(t *testing.T) {
	r := resolveFixture(t, host.Defaults{})
	_, err := r.Resolve(host.Device{ID: "r1", Platform: "cisco_iosxe", Host: "h"}, host.Request{})
	var ve *host.ValidationError
	if !errors.As(err, &ve) || fmt.Sprint(ve.Missing) != "[username password or private_key]" || ve.DeviceID != "r1" {
		t.Errorf("validation: %#v", err)
	}

	_, err = r.Resolve(host.Device{ID: "r1", Platform: "cisco_iosxe", Host: "h", Username: "u", Password: "p"}, host.Request{Type: "ssh"})
	var ae *host.AmbiguousError
	if !errors.As(err, &ae) || len(ae.Candidates) != 2 || ae.DeviceID != "r1" || ae.Platform != "cisco_iosxe" {
		t.Fatalf("ambiguous: %#v", err)
	}
	if c := ae.Candidates[1]; c.Plugin != "scrapli-ssh" || c.Type != "ssh" || c.Library != "scrapli" || len(c.Capabilities) != 3 {
		t.Errorf("candidate %+v", c)
	}

	_, err = r.ResolvePlatform("cisco_iosxe", host.Request{Type: "grpc"})
	var nf *host.PluginNotFoundError
	if !errors.As(err, &nf) || nf.Type != "grpc" || len(nf.Available) != 4 || nf.DeviceID != "" {
		t.Errorf("not found: %#v", err)
	}

	if _, err := r.ResolvePlatform("", host.Request{}); host.Kind(err) != "validation" {
		t.Errorf("empty platform: %v", err)
	}
}

// The explanation is complete and ordered: every entry of the platform
// appears at step 2, then the narrowing, then the choice.
func TestResolveExplain(t *testing.T) {
	r := resolveFixture(t, host.Defaults{})
	d := host.Device{ID: "r1", Platform: "cisco_iosxe", Host: "h", Username: "u", Password: "p"}
	res, err := r.Resolve(d, host.Request{Type: "ssh", Capabilities: []string{"cli"}, Fallback: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range res.Explain {
		got = append(got, s.String())
	}
	want := []string{
		"1  device r1 has platform, host, username and credentials",
		"2  drop netconf netconf/ncclient: type netconf, not ssh",
		"2  drop httpx restconf/httpx: type restconf, not ssh",
		"2  keep netmiko-ssh ssh/netmiko: serves platform cisco_iosxe, type ssh",
		"2  keep scrapli-ssh ssh/scrapli: serves platform cisco_iosxe, type ssh",
		"3  keep netmiko-ssh ssh/netmiko: has every required capability (cli)",
		"3  keep scrapli-ssh ssh/scrapli: has every required capability (cli)",
		"4  2 candidates remain",
		"5  keep scrapli-ssh ssh/scrapli: the (cisco_iosxe, ssh) default (from " + r.Manifest("scrapli-ssh").Path + ")",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("explain:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Discovery reads the manifests of a plugin directory; resolution then
// picks an entry for a device without launching anything.
func ExampleRegistry_Resolve() {
	root, _ := os.MkdirTemp("", "netyard-example")
	defer os.RemoveAll(root)
	os.Chmod(root, 0o755)
	dir := filepath.Join(root, "scrapli-ssh")
	os.Mkdir(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "scrapli-ssh"), []byte("#!/bin/sh\n"), 0o755)
	os.WriteFile(filepath.Join(dir, "netyard-plugin.yaml"), []byte(`schema: netyard.plugin/v1
name: scrapli-ssh
version: 0.1.0
protocol: [1]
command: ./scrapli-ssh
provides:
  - {type: ssh, library: scrapli, platforms: [cisco_iosxe], capabilities: [cli, device_info]}
`), 0o644)

	reg := host.Discover(host.Config{PluginDirs: []string{root}})
	dev := host.Device{ID: "edge-1", Platform: "cisco_iosxe", Host: "192.0.2.1", Username: "netops", Password: "secret"}
	res, err := reg.Resolve(dev, host.Request{Capabilities: []string{"cli"}})
	if err != nil {
		fmt.Println(host.Kind(err), err)
		return
	}
	fmt.Println(res.Entry)
	_, err = reg.Resolve(dev, host.Request{Type: "netconf"})
	fmt.Println(host.Kind(err))
	// Output:
	// scrapli-ssh ssh/scrapli
	// plugin_not_found
}
