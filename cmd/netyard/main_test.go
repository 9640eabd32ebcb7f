package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/internal/testenv"
	"github.com/netyard/netyard/sdk"
)

// netyard runs the CLI in-process and returns its exit code and output.
func netyard(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// plugin writes <dir>/<name>/netyard-plugin.yaml beside a dummy binary
// (nothing here launches it, except where verify is tested).
func plugin(t *testing.T, dir, name, provides string) string {
	t.Helper()
	pdir := filepath.Join(dir, name)
	mkdir(t, pdir)
	bin := filepath.Join(pdir, name)
	write(t, bin, "#!/bin/sh\nexit 1\n", 0o755)
	path := filepath.Join(pdir, sdk.ManifestFile)
	write(t, path, "schema: netyard.plugin/v1\nname: "+name+"\nversion: 0.1.0\nprotocol: [1]\ncommand: ./"+name+"\nprovides:\n"+provides, 0o644)
	return path
}

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, path, data string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// fixture is <tmp>/plugins with two ssh plugins for cisco_iosxe (scrapli
// claims the platform default), a netconf plugin for every platform and an
// invalid manifest.
func fixture(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "plugins")
	mkdir(t, dir)
	plugin(t, dir, "scrapli-ssh", "  - {type: ssh, library: scrapli, platforms: [cisco_iosxe, linux], capabilities: [cli, device_info], default_for: {platforms: [cisco_iosxe]}}\n")
	plugin(t, dir, "netmiko-ssh", "  - {type: ssh, library: netmiko, platforms: [cisco_iosxe], capabilities: [cli]}\n")
	plugin(t, dir, "netconf", "  - {type: netconf, library: ncclient, platforms: [\"*\"], capabilities: [netconf]}\n")
	plugin(t, dir, "broken", "  - {type: ssh, library: x, platforms: [linux], capabilities: []}\n")
	return dir
}

func TestPluginsList(t *testing.T) {
	dir := fixture(t)
	code, out, errs := netyard(t, "plugins", "list", "--plugin-dir", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"plugin dirs: " + dir,
		"lock file:   " + filepath.Join(filepath.Dir(dir), "netyard.lock") + " (none",
		"scrapli-ssh 0.1.0 (registered)",
		"manifest  " + filepath.Join(dir, "scrapli-ssh", sdk.ManifestFile),
		"(manifest: unpinned, lock: no lock file)",
		"provides  ssh/scrapli  platforms: cisco_iosxe, linux  capabilities: cli, device_info  default for: platforms cisco_iosxe",
		"provides  netconf/ncclient  platforms: *",
		"problems:",
		"broken/netyard-plugin.yaml, field provides[0].capabilities): expected a list of capabilities",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	code, out, _ = netyard(t, "plugins", "list", "--plugin-dir", dir, "--json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var l listJSON
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if len(l.Plugins) != 3 || l.Plugins[0].Name != "netconf" || !l.Plugins[0].Registered || l.Plugins[0].ManifestSHA256 != host.SumUnpinned ||
		l.Plugins[0].Lock != host.SumNoLockFile || len(l.Plugins[0].SHA256) != 64 || l.Plugins[2].Provides[0].Capabilities[1] != "device_info" {
		t.Errorf("plugins: %+v", l.Plugins)
	}
	if len(l.Problems) != 1 || l.Problems[0].Field != "provides[0].capabilities" || l.Problems[0].Kind != "registration" {
		t.Errorf("problems: %+v", l.Problems)
	}
}

func TestPluginDirFromEnvironment(t *testing.T) {
	dir := fixture(t)
	t.Setenv(host.EnvPluginDir, "/nonexistent:"+dir)
	code, out, _ := netyard(t, "plugins", "list", "--json")
	var l listJSON
	if err := json.Unmarshal([]byte(out), &l); err != nil || code != 0 {
		t.Fatalf("exit %d, %v", code, err)
	}
	if len(l.PluginDirs) != 2 || len(l.Plugins) != 3 || len(l.Problems) != 2 {
		t.Errorf("%+v", l)
	}
	// The flag wins over the environment.
	_, out, _ = netyard(t, "plugins", "list", "--json", "--plugin-dir", dir)
	if err := json.Unmarshal([]byte(out), &l); err != nil || len(l.PluginDirs) != 1 {
		t.Errorf("%v %+v", err, l.PluginDirs)
	}
}

func TestPluginsLock(t *testing.T) {
	dir := fixture(t)
	code, out, errs := netyard(t, "plugins", "lock", "--plugin-dir", dir)
	lock := filepath.Join(filepath.Dir(dir), "netyard.lock")
	// The broken manifest remains a problem: exit 1, but the lock is written.
	if code != 1 || strings.TrimSpace(out) != lock || !strings.Contains(errs, "broken") {
		t.Fatalf("exit %d, out %q, err %q", code, out, errs)
	}
	l, err := host.ReadLock(lock)
	if err != nil || len(l.Plugins) != 3 || l.Plugins["netconf"].Manifest != "plugins/netconf/netyard-plugin.yaml" {
		t.Fatalf("lock %+v, %v", l, err)
	}
	os.RemoveAll(filepath.Join(dir, "broken"))
	if code, _, errs := netyard(t, "plugins", "lock", "--plugin-dir", dir); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	_, out, _ = netyard(t, "plugins", "list", "--plugin-dir", dir)
	if !strings.Contains(out, "lock: ok") || strings.Contains(out, "not locked") {
		t.Errorf("list after lock:\n%s", out)
	}

	// Nothing to lock.
	empty := filepath.Join(t.TempDir(), "empty")
	mkdir(t, empty)
	if code, _, errs := netyard(t, "plugins", "lock", "--plugin-dir", empty); code != 1 || !strings.Contains(errs, "nothing to lock") {
		t.Errorf("empty: exit %d: %s", code, errs)
	}
}

func TestResolveCmd(t *testing.T) {
	dir := fixture(t)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{name: "exact", args: []string{"--platform", "cisco_iosxe", "--type", "ssh", "--library", "netmiko"},
			stdout: []string{"plugin        netmiko-ssh 0.1.0", "entry         ssh/netmiko", "capabilities  cli", "manifest      " + filepath.Join(dir, "netmiko-ssh")}},
		{name: "capability", args: []string{"--platform", "cisco_iosxe", "--capability", "netconf"},
			stdout: []string{"netconf/ncclient"}},
		{name: "fallback with explain", args: []string{"--platform", "cisco_iosxe", "--type", "ssh", "--fallback", "--explain"},
			stdout: []string{"entry         ssh/scrapli", "explain:", "  2  keep netmiko-ssh ssh/netmiko: serves platform cisco_iosxe, type ssh",
				"  5  keep scrapli-ssh ssh/scrapli: the platform cisco_iosxe default (from "}},
		{name: "ambiguous", args: []string{"--platform", "cisco_iosxe", "--type", "ssh"}, code: 2,
			stderr: []string{"netyard: ambiguous: ambiguous plugin for platform cisco_iosxe", "candidate: ssh/netmiko (plugin netmiko-ssh; capabilities cli)"}},
		{name: "not found", args: []string{"--platform", "linux", "--type", "api"}, code: 2,
			stderr: []string{"netyard: plugin_not_found:", "available: netconf/ncclient (netconf)", "available: ssh/scrapli (scrapli-ssh)"}},
		{name: "capability warning", args: []string{"--platform", "linux", "--capability", "cli", "--capability", "netconf", "--capability", "device_info"},
			stdout: []string{"ssh/scrapli"}, stderr: []string{"warning: no plugin for platform linux has every required capability"}},
		{name: "platform is required", args: []string{"--type", "ssh"}, code: 2, stderr: []string{`required flag(s) "platform" not set`}},
		{name: "unknown flag", args: []string{"--platfrom", "x"}, code: 2, stderr: []string{"unknown flag: --platfrom"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := netyard(t, append([]string{"resolve", "--plugin-dir", dir}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errs)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tt.stderr {
				if !strings.Contains(errs, s) {
					t.Errorf("stderr lacks %q:\n%s", s, errs)
				}
			}
		})
	}
}

func TestResolveJSON(t *testing.T) {
	dir := fixture(t)
	code, out, _ := netyard(t, "resolve", "--plugin-dir", dir, "--platform", "cisco_iosxe", "--json")
	if code != 2 {
		t.Fatalf("exit %d", code)
	}
	var r resolveJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if r.Entry != nil || r.Error == nil || r.Error.Kind != "ambiguous" || len(r.Error.Candidates) != 3 ||
		r.Error.Candidates[0].Plugin != "netconf" || len(r.Explain) == 0 || len(r.Problems) != 1 {
		t.Errorf("%+v", r)
	}

	code, out, _ = netyard(t, "resolve", "--plugin-dir", dir, "--platform", "cisco_iosxe", "--fallback", "--json")
	r = resolveJSON{}
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != 0 {
		t.Fatalf("exit %d, %v", code, err)
	}
	if r.Entry == nil || r.Entry.Plugin != "scrapli-ssh" || r.Entry.Type != "ssh" || r.Error != nil || r.Explain[len(r.Explain)-1].Step != 5 {
		t.Errorf("%+v", r)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"nonsense"},
		{"plugins", "list", "extra-arg"},
		{"plugins", "list", "--log-level", "loud"},
	} {
		if code, _, _ := netyard(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if code, out, _ := netyard(t, "--help"); code != 0 || !strings.Contains(out, "plugins") {
		t.Errorf("--help: exit %d\n%s", code, out)
	}
}

func TestPluginsVerify(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and launches the test plugin")
	}
	dir := testenv.PluginDir(t, "testplugin")
	code, out, errs := netyard(t, "plugins", "verify", "--plugin-dir", dir)
	if code != 0 || !strings.Contains(out, "ok    testplugin") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}

	// A binary that lies about itself, one whose sha256 does not match, and
	// an invalid manifest: each fails, saying which and why.
	bad := testenv.PluginDirWithMode(t, "describe-mismatch")
	plugin(t, bad, "dummy", "  - {type: x, library: y, platforms: [linux], capabilities: [cli]}\n")
	testenv.EditManifest(t, bad, "dummy", func(m *sdk.Manifest) { m.SHA256 = strings.Repeat("0", 64) })
	mkdir(t, filepath.Join(bad, "invalid"))
	write(t, filepath.Join(bad, "invalid", sdk.ManifestFile), "schema: nope\n", 0o644)
	code, out, errs = netyard(t, "plugins", "verify", "--plugin-dir", bad, "--json")
	if code != 1 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	var v verifyJSON
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if v.OK || len(v.Plugins) != 2 || len(v.Problems) == 0 {
		t.Fatalf("%+v", v)
	}
	dummy, tp := v.Plugins[0], v.Plugins[1]
	if dummy.Name != "dummy" || dummy.OK || dummy.Stage != "discovery" || !strings.Contains(dummy.Error, "sha256") {
		t.Errorf("dummy: %+v", dummy)
	}
	if tp.Name != "testplugin" || tp.OK || tp.Stage != "launch" || tp.Kind != "registration" {
		t.Errorf("testplugin: %+v", tp)
	}
}
