package host_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/netyard/netyard/host"
)

const linuxSSH = "  - {type: ssh, library: scrapli, platforms: [linux], capabilities: [cli]}\n"

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestTrustChecks(t *testing.T) {
	tests := []struct {
		name   string
		extra  []string                             // manifest lines
		setup  func(t *testing.T, pdir, bin string) // after writing the plugin
		field  string
		reason string // substring; "" means the plugin registers
		pinned string
	}{
		{name: "unpinned dummy binary registers", pinned: host.SumUnpinned},
		{name: "pinned and matching", extra: []string{"sha256: " + sha(fakeBinary)}, pinned: host.SumOK},
		{name: "pinned and mismatching", extra: []string{"sha256: " + sha("something else")},
			field: "sha256", reason: "the manifest pins " + sha("something else"), pinned: host.SumMismatch},
		{name: "binary missing", setup: func(t *testing.T, _, bin string) { os.Remove(bin) },
			field: "command", reason: "cannot be found"},
		{name: "binary not executable", setup: func(t *testing.T, _, bin string) { chmod(t, bin, 0o644) },
			field: "command", reason: "not executable (mode 0644): run chmod +x"},
		{name: "binary writable by group", setup: func(t *testing.T, _, bin string) { chmod(t, bin, 0o775) },
			field: "command", reason: "writable by group or others (mode 0775): run chmod go-w"},
		{name: "binary writable by others", setup: func(t *testing.T, _, bin string) { chmod(t, bin, 0o757) },
			field: "command", reason: "writable by group or others"},
		{name: "plugin directory writable by group", setup: func(t *testing.T, pdir, _ string) { chmod(t, pdir, 0o775) },
			reason: "plugin directory " /* + pdir */},
		{name: "manifest writable by others", setup: func(t *testing.T, pdir, _ string) { chmod(t, filepath.Join(pdir, "netyard-plugin.yaml"), 0o666) },
			reason: "manifest is writable by group or others"},
		{name: "command is a directory", setup: func(t *testing.T, _, bin string) {
			os.Remove(bin)
			mustMkdir(t, bin)
		}, field: "command", reason: "not a regular file"},
		{name: "symlink inside the plugin directory is fine", setup: func(t *testing.T, pdir, bin string) {
			mustMkdir(t, filepath.Join(pdir, "real"))
			if err := os.Rename(bin, filepath.Join(pdir, "real", "b")); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("real/b", bin); err != nil {
				t.Fatal(err)
			}
		}, pinned: host.SumUnpinned},
		{name: "symlink escaping the plugin directory is refused", setup: func(t *testing.T, pdir, bin string) {
			outside := filepath.Join(filepath.Dir(filepath.Dir(pdir)), "evil")
			if err := os.WriteFile(outside, []byte(fakeBinary), 0o755); err != nil {
				t.Fatal(err)
			}
			chmod(t, outside, 0o755)
			os.Remove(bin)
			if err := os.Symlink(outside, bin); err != nil {
				t.Fatal(err)
			}
		}, field: "command", reason: "outside the plugin directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := pluginRoot(t)
			path := writePlugin(t, dir, "p", linuxSSH, tt.extra...)
			pdir := filepath.Dir(path)
			if tt.setup != nil {
				tt.setup(t, pdir, filepath.Join(pdir, "p"))
			}
			r := host.Discover(host.Config{PluginDirs: []string{dir}})
			infos := r.Plugins()
			if len(infos) != 1 {
				t.Fatalf("Plugins() = %v", infos)
			}
			info := infos[0]
			if tt.pinned != "" && info.Pinned != tt.pinned {
				t.Errorf("Pinned = %q, want %q", info.Pinned, tt.pinned)
			}
			if tt.reason == "" {
				wantNoProblems(t, r)
				if !info.Registered || r.Manifest("p") == nil {
					t.Fatal("not registered")
				}
				if info.SHA256 != sha(fakeBinary) || info.Locked != host.SumNoLockFile {
					t.Errorf("info %+v", info)
				}
				if err := r.CheckBinary(r.Manifest("p")); err != nil {
					t.Errorf("CheckBinary: %v", err)
				}
				return
			}
			if info.Registered || r.Manifest("p") != nil {
				t.Error("registered despite a trust problem")
			}
			probs := registrationErrors(t, r)
			if len(probs) != 1 {
				t.Fatalf("problems: %v", r.Problems())
			}
			p := probs[0]
			if p.File != path || p.Field != tt.field || p.Plugin != "p" || !strings.Contains(p.Reason, tt.reason) {
				t.Errorf("problem %+v (%v); want file %s field %q reason containing %q", p, p, path, tt.field, tt.reason)
			}
		})
	}
}

// A binary that changes after discovery is refused at launch.
func TestCheckBinaryBeforeLaunch(t *testing.T) {
	dir := pluginRoot(t)
	path := writePlugin(t, dir, "p", linuxSSH, "sha256: "+sha(fakeBinary))
	r := host.Discover(host.Config{PluginDirs: []string{dir}})
	wantNoProblems(t, r)
	m := r.Manifest("p")
	for range 3 {
		if err := r.CheckBinary(m); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(filepath.Dir(path), "p")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexit 2\n"), 0o755); err != nil { // same size
		t.Fatal(err)
	}
	err := r.CheckBinary(m)
	var re *host.RegistrationError
	if !errors.As(err, &re) || re.Field != "sha256" || re.File != path {
		t.Fatalf("CheckBinary after swap: %v", err)
	}

	// A manifest that was never registered is refused.
	other := *m
	other.Path = filepath.Join(dir, "elsewhere", "netyard-plugin.yaml")
	if err := r.CheckBinary(&other); host.Kind(err) != "registration" {
		t.Errorf("unregistered manifest: %v", err)
	}
}

// The launcher calls CheckBinary from many goroutines at once.
func TestCheckBinaryConcurrent(t *testing.T) {
	dir := pluginRoot(t)
	writePlugin(t, dir, "p", linuxSSH, "sha256: "+sha(fakeBinary))
	r := host.Discover(host.Config{PluginDirs: []string{dir}})
	m := r.Manifest("p")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if err := r.CheckBinary(m); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
