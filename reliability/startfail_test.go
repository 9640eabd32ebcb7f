package reliability

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/internal/testenv"
	"github.com/netyard/netyard/sdk"
)

// TestFailedStartLeavesNothing: a plugin binary that never completes the
// handshake and has spawned a child holding its stdout (a wrapper script,
// a library starting a helper) fails Open within the start timeout, and
// neither it nor its child outlives the failure. go-plugin's Kill reaches
// the direct child only and then waits for stdout to close (go-plugin
// #136), so without a kill of the whole process group the child both
// survives and blocks the launch.
func TestFailedStartLeavesNothing(t *testing.T) {
	root := t.TempDir()
	chmod(t, root, 0o755)
	pdir := filepath.Join(root, "stuck")
	if err := os.Mkdir(pdir, 0o755); err != nil {
		t.Fatal(err)
	}
	chmod(t, pdir, 0o755)
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	script := "#!/bin/sh\nsleep 20 &\necho $! > " + pidFile + "\nwait\n"
	if err := os.WriteFile(filepath.Join(pdir, "stuck"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	chmod(t, filepath.Join(pdir, "stuck"), 0o755)
	manifest := "schema: " + sdk.ManifestSchema + "\nname: stuck\nversion: 0.1.0\nprotocol: [1]\ncommand: ./stuck\n" +
		"provides:\n  - {type: test, library: stuck, platforms: [\"*\"], capabilities: [cli]}\n"
	if err := os.WriteFile(filepath.Join(pdir, sdk.ManifestFile), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	const startTimeout = time.Second
	h, err := host.New(host.Config{PluginDirs: []string{root}, StartTimeout: startTimeout})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_, err = h.Open(ctx, host.Device{ID: "r1", Platform: "linux", Host: "127.0.0.1", Username: "u", Password: password},
		host.Request{Type: "test", Library: "stuck"})
	took := time.Since(start)
	if host.Kind(err) != "creation" {
		t.Errorf("want a Creation error, got %v", err)
	}
	if took > startTimeout+2*time.Second {
		t.Errorf("Open took %v to fail with a %v start timeout: %v", took, startTimeout, err)
	}
	closeStart := time.Now()
	h.Close()
	closeTook := time.Since(closeStart)
	raw, _ := os.ReadFile(pidFile)
	child, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
	if child == 0 {
		t.Fatal("the plugin's child did not start")
	}
	if !testenv.WaitPIDsGone(t, []int{child}, 2*time.Second) {
		t.Errorf("the failed plugin's child (pid %d) outlived the failed start and Host.Close", child)
		killPID(child)
	}
	testenv.WaitNoProcesses(t, filepath.Join(pdir, "stuck"), 2*time.Second)
	t.Logf("failed start: Open returned after %v (%v); Host.Close took %v", took.Round(time.Millisecond), err, closeTook.Round(time.Millisecond))
}

func killPID(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		p.Kill()
	}
}
