package sdktest_test

import (
	"context"
	"net"
	"strconv"
	"testing"

	"go.uber.org/goleak"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/internal/testenv"
	"github.com/netyard/netyard/sdk"
	"github.com/netyard/netyard/sdk/sdktest"
	"github.com/netyard/netyard/sim"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fleet starts simulated devices for one test.
func fleet(t *testing.T, f sim.FleetSpec) *sim.Sim {
	t.Helper()
	s, err := sim.Fleet(context.Background(), sim.Options{}, f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// simDevice is the netyard device record of a simulated device's service at addr.
func simDevice(t *testing.T, d *sim.Device, addr string, opts map[string]string) sdk.Device {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("device %s: no service address (%q)", d.Name(), addr)
	}
	port, _ := strconv.Atoi(p)
	sp := d.Spec()
	return sdk.Device{ID: sp.Name, Name: sp.Name, Platform: sp.Platform, Host: h, Port: port,
		Username: sp.Username, Password: sp.Password, EnableSecret: sp.EnableSecret, Options: opts}
}

func TestConformanceScrapliSSH(t *testing.T) {
	s := fleet(t, sim.FleetSpec{IOS: 1, EOS: 1, Junos: 1})
	dir := testenv.PluginDir(t, "scrapli-ssh")
	for _, d := range s.Devices() {
		t.Run(d.Spec().Platform, func(t *testing.T) {
			sdktest.Run(t, sdktest.Config{PluginDir: dir, Plugin: "scrapli-ssh",
				Device: func(t *testing.T, _ sdk.ManifestEntry) sdk.Device {
					return simDevice(t, d, d.SSHAddr(), nil)
				}})
		})
	}
}

func TestConformanceNETCONF(t *testing.T) {
	s := fleet(t, sim.FleetSpec{NETCONF: 1})
	d := s.Devices()[0]
	sdktest.Run(t, sdktest.Config{PluginDir: testenv.PluginDir(t, "netconf"), Plugin: "netconf",
		Device: func(t *testing.T, _ sdk.ManifestEntry) sdk.Device {
			return simDevice(t, d, d.NETCONFAddr(), map[string]string{"insecure_skip_verify": "true"})
		}})
}

func TestConformanceHTTPXAPI(t *testing.T) {
	s := fleet(t, sim.FleetSpec{HTTP: 1})
	d := s.Devices()[0]
	sdktest.Run(t, sdktest.Config{PluginDir: testenv.PluginDir(t, "httpx-api"), Plugin: "httpx-api",
		Device: func(t *testing.T, e sdk.ManifestEntry) sdk.Device {
			opts := map[string]string{"scheme": "http"}
			if e.Type == "api" {
				// The simulator's / needs no login: probe a path that does,
				// so that Connect can tell a wrong password.
				opts["probe_path"] = "/api/v1/system"
			}
			return simDevice(t, d, d.HTTPAddr(), opts)
		}})
}

// The test plugin fakes its devices: its fault option stands in for a
// wrong password and an unreachable device.
func TestConformanceTestPlugin(t *testing.T) {
	withFault := func(f string) func(sdk.Device) sdk.Device {
		return func(d sdk.Device) sdk.Device {
			d.Options = map[string]string{"fault": f}
			return d
		}
	}
	sdktest.Run(t, sdktest.Config{PluginDir: testenv.PluginDir(t, "testplugin"), Plugin: "testplugin",
		Device: func(*testing.T, sdk.ManifestEntry) sdk.Device {
			return sdk.Device{ID: "fake1", Platform: "cisco_iosxe", Host: "192.0.2.1", Username: "u", Password: "not-checked"}
		},
		WrongPassword: withFault("auth-fail"),
		Unreachable:   withFault("unreachable"),
		Probes: map[string]sdktest.Probe{
			"echo": func(ctx context.Context, t *testing.T, c *host.Conn) error {
				var out map[string]string
				if err := c.Invoke(ctx, "echo", "echo", map[string]string{"a": "b"}, &out); err != nil {
					return err
				}
				if out["a"] != "b" {
					t.Errorf("echo returned %v", out)
				}
				return nil
			},
		},
	})
}
