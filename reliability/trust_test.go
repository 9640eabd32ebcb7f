package reliability

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/internal/testenv"
	"github.com/netyard/netyard/sdk"
)

// canary is a stand-in for a malicious binary: if anything executes it, it
// leaves a marker file behind.
type canary struct {
	path, marker string
}

func newCanary(t *testing.T, dir, name string) canary {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	c := canary{path: filepath.Join(dir, name), marker: filepath.Join(t.TempDir(), "canary-ran")}
	script := "#!/bin/sh\necho ran > " + c.marker + "\nexit 3\n"
	if err := os.WriteFile(c.path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(c.path, 0o755); err != nil {
		t.Fatal(err)
	}
	return c
}

// ran reports whether the canary executed.
func (c canary) ran(t *testing.T) bool {
	t.Helper()
	_, err := os.Stat(c.marker)
	return err == nil
}

func chmod(t *testing.T, p string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

func replaceWith(t *testing.T, dst string, src canary) {
	t.Helper()
	data, err := os.ReadFile(src.path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(dst); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		t.Fatal(err)
	}
	chmod(t, dst, 0o755)
}

// TestUntrustedBinaries: every way of getting a binary other than the
// trusted one run is refused before anything runs, both at discovery
// (host.New) and at launch (tampering after New, before Open), with a
// Registration error naming the file at fault and saying what is wrong.
// "Nothing ran" is checked with a canary script standing in for the
// attacker's binary, and by looking for the plugin's processes.
// host/trust_test.go checks the same rules on Discover with a dummy
// binary; this drives host.New and Open with the real netconf plugin.
func TestUntrustedBinaries(t *testing.T) {
	const name = "netconf"
	type layout struct {
		root, pdir, bin, manifest, lock string
		evil                            canary
	}
	cases := []struct {
		name string
		// prep runs first in both phases; setup tampers before host.New
		// (the discovery phase), tamper between New and Open (the launch
		// phase). A nil setup or tamper skips its phase.
		prep, setup, tamper func(t *testing.T, l layout)
		lock                bool   // write netyard.lock for the clean install first
		where               string // "manifest" or "lock": the file the error must name
		field               string // RegistrationError.Field, "" for any
		what                string // substring of the error
	}{
		{name: "manifest sha256 mismatch",
			setup: func(t *testing.T, l layout) {
				testenv.EditManifest(t, l.root, name, func(m *sdk.Manifest) { m.SHA256 = testenv.FileSHA256(t, l.evil.path) })
			},
			where: "manifest", field: "sha256", what: "but the manifest pins"},
		{name: "binary swapped, manifest pins sha256",
			prep: func(t *testing.T, l layout) {
				testenv.EditManifest(t, l.root, name, func(m *sdk.Manifest) { m.SHA256 = testenv.FileSHA256(t, l.bin) })
			},
			tamper: func(t *testing.T, l layout) { replaceWith(t, l.bin, l.evil) },
			where:  "manifest", field: "sha256", what: "but the manifest pins"},
		{name: "binary swapped, lock file pins sha256", lock: true,
			tamper: func(t *testing.T, l layout) { replaceWith(t, l.bin, l.evil) },
			where:  "lock", field: "plugins.netconf.sha256", what: "but the lock file pins"},
		{name: "lock file pins another sha256", lock: true,
			setup: func(t *testing.T, l layout) {
				data, err := os.ReadFile(l.lock)
				if err != nil {
					t.Fatal(err)
				}
				sum := testenv.FileSHA256(t, l.bin)
				if err := os.WriteFile(l.lock, []byte(strings.ReplaceAll(string(data), sum, strings.Repeat("0", 64))), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			where: "lock", field: "plugins.netconf.sha256", what: "but the lock file pins"},
		{name: "plugin not in the lock file", lock: true,
			setup: func(t *testing.T, l layout) {
				if err := os.WriteFile(l.lock, []byte("schema: netyard.lock/v1\nplugins: {}\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			where: "lock", field: "plugins.netconf", what: "not in the lock file"},
		{name: "plugin directory writable by others",
			setup:  func(t *testing.T, l layout) { chmod(t, l.pdir, 0o757) },
			tamper: func(t *testing.T, l layout) { chmod(t, l.pdir, 0o757) },
			where:  "manifest", what: "writable by group or others"},
		{name: "plugin directory writable by group",
			setup:  func(t *testing.T, l layout) { chmod(t, l.pdir, 0o775) },
			tamper: func(t *testing.T, l layout) { chmod(t, l.pdir, 0o775) },
			where:  "manifest", what: "writable by group or others"},
		{name: "configured plugin directory writable by others",
			setup:  func(t *testing.T, l layout) { chmod(t, l.root, 0o757) },
			tamper: func(t *testing.T, l layout) { chmod(t, l.root, 0o757) },
			where:  "manifest", what: "writable by group or others"},
		{name: "plugin directory replaced through a configured directory writable by others",
			tamper: func(t *testing.T, l layout) {
				chmod(t, l.root, 0o757)
				// What anyone could now do: move the trusted plugin aside and
				// put their own in its place, manifest and all.
				manifest, err := os.ReadFile(l.manifest)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(l.pdir, filepath.Join(l.root, ".old")); err != nil {
					t.Fatal(err)
				}
				if err := os.Mkdir(l.pdir, 0o755); err != nil {
					t.Fatal(err)
				}
				chmod(t, l.pdir, 0o755)
				if err := os.WriteFile(l.manifest, manifest, 0o644); err != nil {
					t.Fatal(err)
				}
				replaceWithNew(t, l.bin, l.evil)
			},
			where: "manifest", what: "writable by group or others"},
		{name: "binary writable by others",
			setup:  func(t *testing.T, l layout) { chmod(t, l.bin, 0o757) },
			tamper: func(t *testing.T, l layout) { chmod(t, l.bin, 0o757) },
			where:  "manifest", field: "command", what: "writable by group or others"},
		{name: "manifest writable by others",
			setup:  func(t *testing.T, l layout) { chmod(t, l.manifest, 0o646) },
			tamper: func(t *testing.T, l layout) { chmod(t, l.manifest, 0o646) },
			where:  "manifest", what: "manifest is writable"},
		{name: "binary is a symlink leaving the plugin directory",
			setup:  func(t *testing.T, l layout) { symlinkOver(t, l.evil.path, l.bin) },
			tamper: func(t *testing.T, l layout) { symlinkOver(t, l.evil.path, l.bin) },
			where:  "manifest", field: "command", what: "outside the plugin directory"},
		{name: "command through a symlinked directory leaving the plugin directory",
			setup: func(t *testing.T, l layout) {
				if err := os.Symlink(filepath.Dir(l.evil.path), filepath.Join(l.pdir, "sub")); err != nil {
					t.Fatal(err)
				}
				testenv.EditManifest(t, l.root, name, func(m *sdk.Manifest) { m.Command = "sub/" + filepath.Base(l.evil.path) })
			},
			where: "manifest", field: "command", what: "outside the plugin directory"},
		{name: "manifest command leaves its directory",
			setup: func(t *testing.T, l layout) {
				rel, err := filepath.Rel(l.pdir, l.evil.path)
				if err != nil {
					t.Fatal(err)
				}
				testenv.EditManifest(t, l.root, name, func(m *sdk.Manifest) { m.Command = rel })
			},
			where: "manifest", field: "command", what: "inside the manifest's directory"},
		{name: "manifest command is an absolute path",
			setup: func(t *testing.T, l layout) {
				testenv.EditManifest(t, l.root, name, func(m *sdk.Manifest) { m.Command = l.evil.path })
			},
			where: "manifest", field: "command", what: "relative to the manifest's directory"},
	}
	for _, tc := range cases {
		for _, phase := range []string{"discovery", "launch"} {
			if phase == "launch" && tc.tamper == nil || phase == "discovery" && tc.setup == nil {
				continue
			}
			t.Run(tc.name+"/"+phase, func(t *testing.T) {
				root := testenv.PluginDir(t, name)
				l := layout{root: root, pdir: filepath.Join(root, name), bin: filepath.Join(root, name, name),
					manifest: filepath.Join(root, name, sdk.ManifestFile), lock: filepath.Join(filepath.Dir(root), host.LockFileName)}
				l.evil = newCanary(t, filepath.Join(t.TempDir(), "elsewhere"), name)
				cfg := host.Config{PluginDirs: []string{root}, LockFile: l.lock}
				if tc.lock {
					if _, err := host.WriteLock(cfg, host.Discover(cfg)); err != nil {
						t.Fatal(err)
					}
				} else {
					os.Remove(l.lock)
				}
				if tc.prep != nil {
					tc.prep(t, l)
				}
				var err error
				var h *host.Host
				if phase == "discovery" {
					tc.setup(t, l)
					h, err = host.New(cfg)
					if err == nil {
						h.Close()
						t.Fatal("host.New accepted the plugin")
					}
				} else {
					h, err = host.New(cfg)
					if err != nil {
						t.Fatalf("clean install refused: %v", err)
					}
					defer h.Close()
					tc.tamper(t, l)
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					var c *host.Conn
					start := time.Now()
					c, err = h.Open(ctx, host.Device{ID: "r1", Platform: "cisco_iosxe", Host: "127.0.0.1", Port: 1, Username: "u", Password: password}, netconfReq)
					if d := time.Since(start); d > 2*time.Second {
						t.Errorf("Open took %v to refuse", d)
					}
					if err == nil {
						c.Close()
						t.Fatal("Open launched a tampered plugin")
					}
				}
				var re *host.RegistrationError
				file := l.manifest
				if tc.where == "lock" {
					file = l.lock
				}
				msg := err.Error()
				switch {
				case !errors.As(err, &re) || !errors.Is(err, host.ErrConnection):
					t.Errorf("want a RegistrationError, got %T: %v", err, err)
				case !strings.Contains(msg, file) || !strings.Contains(msg, tc.what):
					t.Errorf("error does not say what (%q) and where (%s): %v", tc.what, file, err)
				case tc.field != "" && !strings.Contains(msg, "field "+tc.field):
					t.Errorf("error does not name field %s: %v", tc.field, err)
				}
				if l.evil.ran(t) {
					t.Error("the attacker's binary ran")
				}
				if pids := testenv.PluginPIDs(t, l.bin); len(pids) > 0 {
					t.Errorf("plugin processes started: %v", pids)
				}
				t.Logf("%v", err)
			})
		}
	}
}

func replaceWithNew(t *testing.T, dst string, src canary) {
	t.Helper()
	data, err := os.ReadFile(src.path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		t.Fatal(err)
	}
	chmod(t, dst, 0o755)
}

func symlinkOver(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}
