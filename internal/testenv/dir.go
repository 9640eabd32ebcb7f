package testenv

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/netyard/netyard/sdk"
)

// PluginDir makes a fresh plugin directory holding <name>/<binary> and
// <name>/netyard-plugin.yaml for each plugin, and returns it. Directories and
// binaries are 0755, so the host's trust checks (nothing writable by group
// or others) pass. Binaries are copied, not linked: a test may tamper with
// its copy without touching the shared build.
func PluginDir(tb testing.TB, plugins ...string) string {
	tb.Helper()
	dir := tb.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	for _, name := range plugins {
		src := PluginBin(tb, name)
		m, err := readManifest(src)
		if err != nil {
			tb.Fatalf("testenv: %v", err)
		}
		dst := filepath.Join(dir, name)
		if err := os.Mkdir(dst, 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.Chmod(dst, 0o755); err != nil { // whatever the umask
			tb.Fatal(err)
		}
		bin := filepath.Join(dst, filepath.Clean(m.Command))
		if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := copyFile(m.CommandPath(), bin, 0o755); err != nil {
			tb.Fatalf("testenv: copy plugin %s: %v", name, err)
		}
		if err := copyFile(m.Path, filepath.Join(dst, sdk.ManifestFile), 0o644); err != nil {
			tb.Fatalf("testenv: copy manifest of %s: %v", name, err)
		}
	}
	return dir
}

// ModeFile is the test plugin's per-process fault file, beside its binary.
const ModeFile = "testplugin.mode"

// PluginDirWithMode is PluginDir(tb, "testplugin") with the test plugin's
// per-process fault mode set: garbage-stdout, slow-start=<duration>,
// wrong-protocol, describe-mismatch or exit-at-start.
func PluginDirWithMode(tb testing.TB, mode string) string {
	tb.Helper()
	dir := PluginDir(tb, "testplugin")
	if err := os.WriteFile(filepath.Join(dir, "testplugin", ModeFile), []byte(mode+"\n"), 0o644); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// EditManifest rewrites the manifest of plugin name in a directory made by
// PluginDir after edit has changed it. It does not validate the result, so
// tests can write broken manifests.
func EditManifest(tb testing.TB, dir, name string, edit func(*sdk.Manifest)) {
	tb.Helper()
	path := filepath.Join(dir, name, sdk.ManifestFile)
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var m sdk.Manifest
	if err := yaml.Unmarshal(data, &m); err != nil {
		tb.Fatalf("testenv: %s: %v", path, err)
	}
	m.Path = path
	edit(&m)
	out, err := yaml.Marshal(&m)
	if err != nil {
		tb.Fatalf("testenv: %s: %v", path, err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// FileSHA256 returns the hex sha256 of a file, as a manifest's sha256 field
// and the lock file want it.
func FileSHA256(tb testing.TB, path string) string {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// copyFile holds syscall.ForkLock while dst is open for writing: a process
// forked meanwhile by another goroutine would inherit the descriptor until
// it execs, and exec'ing dst then fails with "text file busy"
// (golang/go#22315).
func copyFile(src, dst string, mode os.FileMode) error {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, mode)
}
