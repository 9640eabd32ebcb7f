package sdktest_test

import (
	"context"
	"net"
	"strconv"
	"testing"

	"github.com/netyard/netyard/sdk"
	"github.com/netyard/netyard/sdk/sdktest"
	"github.com/netyard/netyard/sim"
)

// A plugin author's conformance test: the binary built into
// testdata/plugins/my-ssh/ beside its manifest, checked against a simulated
// IOS-XE device.
func ExampleRun() {
	_ = func(t *testing.T) { // func TestConformance(t *testing.T) in the plugin's module
		s, err := sim.Fleet(context.Background(), sim.Options{}, sim.FleetSpec{IOS: 1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		dev := s.Devices()[0]
		sdktest.Run(t, sdktest.Config{
			PluginDir: "testdata/plugins",
			Plugin:    "my-ssh",
			Device: func(t *testing.T, _ sdk.ManifestEntry) sdk.Device {
				host, port, _ := net.SplitHostPort(dev.SSHAddr())
				p, _ := strconv.Atoi(port)
				sp := dev.Spec()
				return sdk.Device{ID: sp.Name, Platform: sp.Platform, Host: host, Port: p,
					Username: sp.Username, Password: sp.Password}
			},
			Skip: []string{"cli.config: the lab device is read-only"},
		})
	}
}
