package sdktest_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/netyard/netyard/sdk"
	"github.com/netyard/netyard/sdk/sdktest"
	"github.com/netyard/netyard/sim"
)

// buildExamplePlugin builds examples/third-party-plugin, a module of its
// own, the way its author would (go build in its directory), into a fresh
// plugin directory, and returns that directory.
func buildExamplePlugin(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller information")
	}
	src := filepath.Join(filepath.Dir(file), "..", "..", "examples", "third-party-plugin")
	dir := t.TempDir()
	pdir := filepath.Join(dir, "ssh-exec")
	if err := os.Mkdir(pdir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, pdir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "build", "-o", filepath.Join(pdir, "ssh-exec"), ".")
	cmd.Dir = src
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build in %s: %v\n%s", src, err, out)
	}
	manifest, err := os.ReadFile(filepath.Join(src, sdk.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pdir, sdk.ManifestFile), manifest, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// The example plugin lives in its own module and imports only sdk; the
// real host runs it and the conformance kit passes it.
func TestConformanceExamplePlugin(t *testing.T) {
	dir := buildExamplePlugin(t)
	s := fleet(t, sim.FleetSpec{IOS: 1, EOS: 1})
	for _, d := range s.Devices() {
		t.Run(d.Spec().Platform, func(t *testing.T) {
			sdktest.Run(t, sdktest.Config{PluginDir: dir, Plugin: "ssh-exec",
				Device: func(t *testing.T, _ sdk.ManifestEntry) sdk.Device {
					return simDevice(t, d, d.SSHAddr(), map[string]string{"insecure_host_key": "true"})
				}})
		})
	}
}
