package sdktest_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/internal/testenv"
	"github.com/netyard/netyard/sdk"
	"github.com/netyard/netyard/sdk/sdktest"
)

const envFaultyChild = "NETYARD_SDKTEST_FAULTY_CHILD"

// The kit must fail a plugin that panics in its calls and accepts any
// password. A failing Run fails its test, so it runs in a child process.
func TestKitFailsFaultyPlugin(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestFaultyPluginChild$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), envFaultyChild+"=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the kit passed a faulty plugin:\n%s", out)
	}
	for _, want := range []string{
		"--- FAIL: TestFaultyPluginChild/test-fake/capabilities/cli ",
		"capability cli did not answer (internal error in the plugin)",
		"Open with a wrong password succeeded",
		"--- PASS: TestFaultyPluginChild/test-fake/unreachable-error ",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the child's output lacks %q:\n%s", want, out)
		}
	}
}

// TestFaultyPluginChild is the child of TestKitFailsFaultyPlugin; it does
// nothing in an ordinary run.
func TestFaultyPluginChild(t *testing.T) {
	if os.Getenv(envFaultyChild) == "" {
		return
	}
	sdktest.Run(t, sdktest.Config{PluginDir: testenv.PluginDir(t, "testplugin"), Plugin: "testplugin",
		Device: func(*testing.T, sdk.ManifestEntry) sdk.Device {
			return sdk.Device{ID: "faulty1", Platform: "cisco_iosxe", Host: "192.0.2.1", Username: "u", Password: "p",
				Options: map[string]string{"fault": "panic-on-call"}}
		},
		Unreachable: func(d sdk.Device) sdk.Device {
			d.Options = map[string]string{"fault": "unreachable"}
			return d
		},
		Probes: map[string]sdktest.Probe{"echo": func(ctx context.Context, _ *testing.T, c *host.Conn) error {
			return c.Invoke(ctx, "echo", "echo", "x", nil)
		}},
	})
}
