package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/netyard/netyard/sdk"
)

func TestPluginDir(t *testing.T) {
	dir := PluginDirWithMode(t, "slow-start=1ms")
	for _, p := range []string{dir, filepath.Join(dir, "testplugin"), BinaryIn(t, dir, "testplugin")} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o755 {
			t.Errorf("%s: mode %v, want 0755", p, fi.Mode().Perm())
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "testplugin", ModeFile)); err != nil || string(b) != "slow-start=1ms\n" {
		t.Errorf("mode file: %q %v", b, err)
	}
	if BinaryIn(t, dir, "testplugin") == BinaryIn(t, PluginBin(t, "testplugin"), "") {
		t.Error("PluginDir hands out the shared binary")
	}

	sum := FileSHA256(t, BinaryIn(t, dir, "testplugin"))
	EditManifest(t, dir, "testplugin", func(m *sdk.Manifest) { m.SHA256 = sum })
	path := filepath.Join(dir, "testplugin", sdk.ManifestFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := sdk.ParseManifest(path, data)
	if err != nil {
		t.Fatalf("edited manifest does not parse: %v\n%s", err, data)
	}
	if m.SHA256 != sum || m.Sessions.PerProcess != 8 || m.Sessions.IdleTimeout != sdk.Duration(time.Minute) || m.Provides[0].Type != "test" {
		t.Errorf("edited manifest: %+v", m)
	}
}

func TestProcesses(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if pids := PluginPIDs(t, exe); !slices.Contains(pids, os.Getpid()) {
		t.Errorf("PluginPIDs(%s) = %v, want to include %d", exe, pids, os.Getpid())
	}
	cmd := exec.Command("sleep", "10")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if !PIDAlive(cmd.Process.Pid) {
		t.Error("child not alive")
	}
	_ = cmd.Process.Kill()
	// Killed but not yet reaped: a zombie is not alive.
	if !WaitPIDsGone(t, []int{cmd.Process.Pid}, 2*time.Second) {
		t.Error("zombie counted as alive")
	}
	_ = cmd.Wait()

	before := OpenFDs(t)
	f, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	if n := OpenFDs(t); n != before+1 {
		t.Errorf("OpenFDs = %d after opening a file, want %d", n, before+1)
	}
	f.Close()
}
