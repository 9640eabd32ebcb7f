package host_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/sdk"
)

// fakeBinary is what discovery and resolution tests use as a plugin
// binary: nothing here launches it.
const fakeBinary = "#!/bin/sh\nexit 1\n"

// writePlugin writes <dir>/<name>/netyard-plugin.yaml with the given
// provides block (YAML, indented by two spaces) and extra top-level lines,
// beside a dummy executable <name>. Permissions are set explicitly so that
// the test does not depend on the umask. It returns the manifest's path.
func writePlugin(t *testing.T, dir, name, provides string, extra ...string) string {
	t.Helper()
	pdir := filepath.Join(dir, name)
	mustMkdir(t, pdir)
	bin := filepath.Join(pdir, name)
	if err := os.WriteFile(bin, []byte(fakeBinary), 0o755); err != nil {
		t.Fatal(err)
	}
	chmod(t, bin, 0o755)
	y := "schema: netyard.plugin/v1\nname: " + name + "\nversion: 0.1.0\nprotocol: [1]\ncommand: ./" + name + "\n"
	for _, e := range extra {
		y += e + "\n"
	}
	y += "provides:\n" + provides
	path := filepath.Join(pdir, sdk.ManifestFile)
	if err := os.WriteFile(path, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	chmod(t, path, 0o644)
	return path
}

func mustMkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	chmod(t, dir, 0o755)
}

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// pluginRoot returns a fresh <tmp>/plugins directory (the lock file, if
// any, goes to <tmp>/netyard.lock).
func pluginRoot(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "plugins")
	mustMkdir(t, dir)
	chmod(t, filepath.Dir(dir), 0o755)
	return dir
}

func discover(t *testing.T, cfg host.Config) *host.Registry {
	t.Helper()
	return host.Discover(cfg)
}

// registrationErrors returns the problems as *RegistrationError, failing the
// test on any other type.
func registrationErrors(t *testing.T, r *host.Registry) []*host.RegistrationError {
	t.Helper()
	var out []*host.RegistrationError
	for _, p := range r.Problems() {
		var re *host.RegistrationError
		if !errors.As(p, &re) {
			t.Fatalf("problem %T is not a *RegistrationError: %v", p, p)
		}
		if !errors.Is(p, host.ErrConnection) {
			t.Errorf("problem does not match ErrConnection: %v", p)
		}
		out = append(out, re)
	}
	return out
}

func wantNoProblems(t *testing.T, r *host.Registry) {
	t.Helper()
	for _, p := range r.Problems() {
		t.Errorf("unexpected problem: %v", p)
	}
}

func TestDiscoverRegistersEntries(t *testing.T) {
	dir := pluginRoot(t)
	writePlugin(t, dir, "scrapli-ssh", `
  - type: ssh
    library: scrapli
    platforms: [cisco_iosxe, linux]
    capabilities: [cli, device_info]
`)
	writePlugin(t, dir, "netconf", `
  - type: netconf
    library: ncclient
    platforms: ["*"]
    capabilities: [netconf]
`)
	// A manifest directly in the plugin directory is found too; one two
	// levels down is not.
	writePlugin(t, filepath.Join(dir, "deep"), "too-deep", "  - {type: x, library: y, platforms: [linux], capabilities: [cli]}\n")
	top := filepath.Join(dir, sdk.ManifestFile)
	if err := os.WriteFile(top, []byte("schema: netyard.plugin/v1\nname: top\nversion: 1.0.0\nprotocol: [1]\ncommand: scrapli-ssh/scrapli-ssh\nprovides:\n  - {type: api, library: httpx, platforms: [linux], capabilities: [api]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	chmod(t, top, 0o644)

	r := discover(t, host.Config{PluginDirs: []string{dir}})
	wantNoProblems(t, r)
	var names []string
	for _, m := range r.Manifests() {
		names = append(names, m.Name)
	}
	if want := []string{"netconf", "scrapli-ssh", "top"}; !slices.Equal(names, want) {
		t.Errorf("Manifests() = %v, want %v", names, want)
	}
	if got, want := r.Platforms(), []string{"*", "cisco_iosxe", "linux"}; !slices.Equal(got, want) {
		t.Errorf("Platforms() = %v, want %v", got, want)
	}
	var keys []string
	for _, e := range r.Entries("linux") {
		keys = append(keys, e.Plugin+" "+e.Key())
	}
	if want := []string{"top api/httpx", "netconf netconf/ncclient", "scrapli-ssh ssh/scrapli"}; !slices.Equal(keys, want) {
		t.Errorf("Entries(linux) = %v, want %v", keys, want)
	}
	if es := r.Entries("vyos"); len(es) != 1 || es[0].Key() != "netconf/ncclient" {
		t.Errorf("Entries(vyos) = %v, want only the * entry", es)
	}
	e := r.Entries("cisco_iosxe")[1]
	if !e.HasCapability("device_info") || e.HasCapability("netconf") || e.Manifest != r.Manifest("scrapli-ssh") || e.Version != "0.1.0" {
		t.Errorf("entry %+v", e)
	}
	if r.Manifest("too-deep") != nil {
		t.Error("a manifest two levels down was discovered")
	}
}

func TestDiscoverProblems(t *testing.T) {
	type want struct {
		file   string // suffix of File
		field  string
		reason []string // substrings of the whole error
	}
	ssh := func(platforms string) string {
		return "  - type: ssh\n    library: scrapli\n    platforms: " + platforms + "\n    capabilities: [cli]\n"
	}
	tests := []struct {
		name       string
		setup      func(t *testing.T, dir string) host.Config
		want       []want
		registered []string
	}{{
		name: "invalid manifest names file and field",
		setup: func(t *testing.T, dir string) host.Config {
			writePlugin(t, dir, "bad", "  - type: ssh\n    library: scrapli\n    platforms: []\n    capabilities: [cli]\n")
			writePlugin(t, dir, "good", ssh("[linux]"))
			return host.Config{PluginDirs: []string{dir}}
		},
		want:       []want{{file: "bad/netyard-plugin.yaml", field: "provides[0].platforms", reason: []string{"expected a list of platforms"}}},
		registered: []string{"good"},
	}, {
		name: "same name twice names both files, first kept",
		setup: func(t *testing.T, dir string) host.Config {
			other := filepath.Join(filepath.Dir(dir), "other")
			mustMkdir(t, other)
			writePlugin(t, dir, "dup", ssh("[linux]"))
			writePlugin(t, other, "dup", "  - {type: api, library: httpx, platforms: [linux], capabilities: [api]}\n")
			return host.Config{PluginDirs: []string{dir, other}}
		},
		want:       []want{{file: "other/dup/netyard-plugin.yaml", field: "name", reason: []string{"plugins/dup/netyard-plugin.yaml", "unique"}}},
		registered: []string{"dup"},
	}, {
		name: "same (platform, type, library) from two plugins names both files",
		setup: func(t *testing.T, dir string) host.Config {
			writePlugin(t, dir, "a-ssh", ssh("[cisco_iosxe, linux]"))
			writePlugin(t, dir, "b-ssh", ssh("[linux, arista_eos]"))
			return host.Config{PluginDirs: []string{dir}}
		},
		want:       []want{{file: "b-ssh/netyard-plugin.yaml", field: "provides[0]", reason: []string{"a-ssh/netyard-plugin.yaml", "ssh/scrapli on platform linux"}}},
		registered: []string{"a-ssh"},
	}, {
		name: "a * entry overlaps every platform",
		setup: func(t *testing.T, dir string) host.Config {
			writePlugin(t, dir, "a-ssh", ssh("[cisco_iosxe]"))
			writePlugin(t, dir, "b-ssh", ssh(`["*"]`))
			return host.Config{PluginDirs: []string{dir}}
		},
		want:       []want{{file: "b-ssh/netyard-plugin.yaml", field: "provides[0]", reason: []string{"a-ssh/netyard-plugin.yaml"}}},
		registered: []string{"a-ssh"},
	}, {
		name: "two manifests claiming one platform default name both files",
		setup: func(t *testing.T, dir string) host.Config {
			writePlugin(t, dir, "a", "  - {type: ssh, library: scrapli, platforms: [linux], capabilities: [cli], default_for: {platforms: [linux]}}\n")
			writePlugin(t, dir, "b", "  - {type: ssh, library: netmiko, platforms: [linux], capabilities: [cli], default_for: {platforms: [linux]}}\n")
			return host.Config{PluginDirs: []string{dir}}
		},
		want: []want{{file: "b/netyard-plugin.yaml", field: "provides[0].default_for.platforms[0]",
			reason: []string{"a/netyard-plugin.yaml", "b/netyard-plugin.yaml", "default for platform linux", "neither"}}},
		registered: []string{"a", "b"},
	}, {
		name: "two manifests claiming one type default name both files",
		setup: func(t *testing.T, dir string) host.Config {
			writePlugin(t, dir, "a", "  - {type: ssh, library: scrapli, platforms: [linux], capabilities: [cli], default_for: {types: [linux]}}\n")
			writePlugin(t, dir, "b", "  - {type: ssh, library: netmiko, platforms: [linux], capabilities: [cli], default_for: {types: [linux]}}\n")
			return host.Config{PluginDirs: []string{dir}}
		},
		want: []want{{file: "b/netyard-plugin.yaml", field: "provides[0].default_for.types[0]",
			reason: []string{"a/netyard-plugin.yaml", "b/netyard-plugin.yaml", "(linux, ssh)"}}},
		registered: []string{"a", "b"},
	}, {
		name: "conflicting claims settled by the host config are no problem",
		setup: func(t *testing.T, dir string) host.Config {
			writePlugin(t, dir, "a", "  - {type: ssh, library: scrapli, platforms: [linux], capabilities: [cli], default_for: {platforms: [linux]}}\n")
			writePlugin(t, dir, "b", "  - {type: ssh, library: netmiko, platforms: [linux], capabilities: [cli], default_for: {platforms: [linux]}}\n")
			return host.Config{PluginDirs: []string{dir}, Defaults: host.Defaults{Platforms: map[string]string{"linux": "ssh/netmiko"}}}
		},
		registered: []string{"a", "b"},
	}, {
		name: "host default naming no entry",
		setup: func(t *testing.T, dir string) host.Config {
			writePlugin(t, dir, "a", ssh("[linux]"))
			return host.Config{PluginDirs: []string{dir}, Defaults: host.Defaults{
				Platforms: map[string]string{"linux": "ssh/netmiko", "vyos": "nonsense"},
				Types:     map[string]string{"linux/ssh": "paramiko", "linux/api": "httpx"},
			}}
		},
		want: []want{
			{file: "host config", field: `Defaults.Platforms["linux"]`, reason: []string{"ssh/netmiko", "ssh/scrapli (a)"}},
			{file: "host config", field: `Defaults.Platforms["vyos"]`, reason: []string{`expected "type/library"`}},
			{file: "host config", field: `Defaults.Types["linux/api"]`, reason: []string{"api/httpx"}},
			{file: "host config", field: `Defaults.Types["linux/ssh"]`, reason: []string{"ssh/paramiko"}},
		},
		registered: []string{"a"},
	}, {
		name: "missing directory named explicitly",
		setup: func(t *testing.T, dir string) host.Config {
			writePlugin(t, dir, "a", ssh("[linux]"))
			return host.Config{PluginDirs: []string{filepath.Join(dir, "nope"), dir}}
		},
		want:       []want{{file: "plugins/nope", reason: []string{"does not exist"}}},
		registered: []string{"a"},
	}, {
		name: "disabled plugin is left out silently",
		setup: func(t *testing.T, dir string) host.Config {
			writePlugin(t, dir, "a", ssh("[linux]"))
			writePlugin(t, dir, "b", ssh("[linux]")) // would conflict with a
			return host.Config{PluginDirs: []string{dir}, Plugins: map[string]host.PluginConfig{"a": {Disabled: true}}}
		},
		registered: []string{"b"},
	}, {
		name: "the same directory twice is scanned once",
		setup: func(t *testing.T, dir string) host.Config {
			writePlugin(t, dir, "a", ssh("[linux]"))
			return host.Config{PluginDirs: []string{dir, dir + "/"}}
		},
		registered: []string{"a"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := pluginRoot(t)
			r := discover(t, tt.setup(t, dir))
			got := registrationErrors(t, r)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d problems, want %d: %v", len(got), len(tt.want), r.Problems())
			}
			for i, w := range tt.want {
				g := got[i]
				if !strings.HasSuffix(filepath.ToSlash(g.File), w.file) {
					t.Errorf("problem %d: File = %q, want suffix %q", i, g.File, w.file)
				}
				if g.Field != w.field {
					t.Errorf("problem %d: Field = %q, want %q", i, g.Field, w.field)
				}
				for _, s := range w.reason {
					if !strings.Contains(g.Error(), s) {
						t.Errorf("problem %d: %q does not mention %q", i, g.Error(), s)
					}
				}
			}
			var names []string
			for _, m := range r.Manifests() {
				names = append(names, m.Name)
			}
			if !slices.Equal(names, tt.registered) {
				t.Errorf("registered %v, want %v", names, tt.registered)
			}
		})
	}
}

func TestDiscoverDefaultDirMayBeMissing(t *testing.T) {
	t.Setenv(host.EnvPluginDir, "")
	t.Chdir(t.TempDir())
	r := host.Discover(host.Config{})
	wantNoProblems(t, r)
	if len(r.Manifests()) != 0 {
		t.Errorf("manifests: %v", r.Manifests())
	}
	if want, _ := filepath.Abs(host.DefaultPluginDir); !slices.Equal(r.Dirs(), []string{want}) {
		t.Errorf("Dirs() = %v, want [%s]", r.Dirs(), want)
	}

	// Named through the environment, a missing directory is a problem.
	t.Setenv(host.EnvPluginDir, "missing-a:missing-b")
	if got := len(host.Discover(host.Config{}).Problems()); got != 2 {
		t.Errorf("env dirs missing: %d problems, want 2", got)
	}
}
