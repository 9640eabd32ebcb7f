package host_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netyard/netyard/host"
)

func TestLockRoundTrip(t *testing.T) {
	dir := pluginRoot(t)
	writePlugin(t, dir, "zeta", linuxSSH)
	writePlugin(t, dir, "alpha", "  - {type: api, library: httpx, platforms: [linux], capabilities: [api]}\n")
	cfg := host.Config{PluginDirs: []string{dir}}
	r := host.Discover(cfg)
	wantNoProblems(t, r)

	path, err := host.WriteLock(cfg, r)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(filepath.Dir(dir), host.LockFileName); path != want {
		t.Errorf("lock path %s, want %s", path, want)
	}
	first, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "# netyard.lock: sha256 of each plugin binary, written by `netyard plugins lock`.\n" +
		"# Commit it and review changes; a binary whose hash differs is refused.\n" +
		"schema: netyard.lock/v1\n" +
		"plugins:\n" +
		"  alpha:\n    version: 0.1.0\n    manifest: plugins/alpha/netyard-plugin.yaml\n    sha256: " + sha(fakeBinary) + "\n" +
		"  zeta:\n    version: 0.1.0\n    manifest: plugins/zeta/netyard-plugin.yaml\n    sha256: " + sha(fakeBinary) + "\n"
	if string(first) != want {
		t.Errorf("lock file:\n%s\nwant:\n%s", first, want)
	}

	// Stable: writing again from a fresh discovery (which now checks the
	// lock) gives the same bytes.
	r2 := host.Discover(cfg)
	wantNoProblems(t, r2)
	for _, info := range r2.Plugins() {
		if info.Locked != host.SumOK {
			t.Errorf("%s: Locked = %q", info.Manifest.Name, info.Locked)
		}
	}
	if _, err := host.WriteLock(cfg, r2); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(path); string(again) != string(first) {
		t.Errorf("second write differs:\n%s", again)
	}

	l, err := host.ReadLock(path)
	if err != nil {
		t.Fatal(err)
	}
	if l.Schema != host.LockSchema || len(l.Plugins) != 2 || l.Plugins["zeta"].SHA256 != sha(fakeBinary) || l.Path != path {
		t.Errorf("ReadLock: %+v", l)
	}
}

func TestLockRefuses(t *testing.T) {
	setup := func(t *testing.T) (host.Config, string) {
		dir := pluginRoot(t)
		writePlugin(t, dir, "p", linuxSSH)
		cfg := host.Config{PluginDirs: []string{dir}}
		if _, err := host.WriteLock(cfg, host.Discover(cfg)); err != nil {
			t.Fatal(err)
		}
		return cfg, dir
	}
	lockPath := func(dir string) string { return filepath.Join(filepath.Dir(dir), host.LockFileName) }

	t.Run("changed binary", func(t *testing.T) {
		cfg, dir := setup(t)
		r := host.Discover(cfg)
		wantNoProblems(t, r)
		m := r.Manifest("p")
		if err := os.WriteFile(m.CommandPath(), []byte("#!/bin/sh\necho upgraded\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		err := r.CheckBinary(m)
		var re *host.RegistrationError
		if !errors.As(err, &re) || re.File != lockPath(dir) || re.Field != "plugins.p.sha256" || !strings.Contains(re.Reason, "run netyard plugins lock") {
			t.Fatalf("CheckBinary: %v", err)
		}
		r = host.Discover(cfg)
		if r.Manifest("p") != nil || r.Plugins()[0].Locked != host.SumMismatch {
			t.Errorf("registered a binary that does not match the lock: %+v", r.Plugins()[0])
		}
		// Re-locking accepts the upgrade.
		if _, err := host.WriteLock(cfg, r); err != nil {
			t.Fatal(err)
		}
		wantNoProblems(t, host.Discover(cfg))
	})
	t.Run("new plugin not locked", func(t *testing.T) {
		cfg, dir := setup(t)
		writePlugin(t, dir, "q", "  - {type: api, library: httpx, platforms: [linux], capabilities: [api]}\n")
		r := host.Discover(cfg)
		probs := registrationErrors(t, r)
		if len(probs) != 1 || probs[0].Plugin != "q" || probs[0].File != lockPath(dir) || !strings.Contains(probs[0].Reason, "run netyard plugins lock") {
			t.Fatalf("problems: %v", r.Problems())
		}
		if r.Manifest("p") == nil || r.Manifest("q") != nil {
			t.Error("wrong plugins registered")
		}
		if _, err := host.WriteLock(cfg, r); err != nil {
			t.Fatal(err)
		}
		wantNoProblems(t, host.Discover(cfg))
	})
	t.Run("version changed", func(t *testing.T) {
		cfg, dir := setup(t)
		mp := filepath.Join(dir, "p", "netyard-plugin.yaml")
		data, _ := os.ReadFile(mp)
		if err := os.WriteFile(mp, []byte(strings.Replace(string(data), "version: 0.1.0", "version: 0.2.0", 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		probs := registrationErrors(t, host.Discover(cfg))
		if len(probs) != 1 || probs[0].Field != "plugins.p.version" {
			t.Fatalf("problems: %v", probs)
		}
	})
	t.Run("corrupt lock file refuses everything", func(t *testing.T) {
		cfg, dir := setup(t)
		if err := os.WriteFile(lockPath(dir), []byte("schema: netyard.lock/v0\nplugins: {}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r := host.Discover(cfg)
		if r.Manifest("p") != nil || r.Plugins()[0].Locked != host.SumLockBroken {
			t.Error("a plugin was registered despite an unusable lock file")
		}
		probs := registrationErrors(t, r)
		if len(probs) != 2 || probs[0].Field != "schema" {
			t.Fatalf("problems: %v", probs)
		}
		// netyard plugins lock repairs it.
		if _, err := host.WriteLock(cfg, r); err != nil {
			t.Fatal(err)
		}
		wantNoProblems(t, host.Discover(cfg))
	})
}

func TestReadLock(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "netyard.lock")
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if _, err := host.ReadLock(filepath.Join(dir, "none")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
	for _, tc := range []struct{ body, field string }{
		{"schema: netyard.lock/v1\nplugins:\n  p: {version: 1.0.0, manifest: x, sha256: abc}\n", "plugins.p.sha256"},
		{"schema: nope\n", "schema"},
		{"schema: netyard.lock/v1\nplugin: {}\n", "(document)"},
	} {
		_, err := host.ReadLock(write(tc.body))
		var re *host.RegistrationError
		if !errors.As(err, &re) || re.Field != tc.field {
			t.Errorf("%q: %v, want field %s", tc.body, err, tc.field)
		}
	}
	l, err := host.ReadLock(write("schema: netyard.lock/v1\n"))
	if err != nil || l.Plugins == nil {
		t.Errorf("empty lock: %+v, %v", l, err)
	}
}
