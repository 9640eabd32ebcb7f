package sim

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scrapli/scrapligo/driver/network"
	"github.com/scrapli/scrapligo/driver/options"
	"github.com/scrapli/scrapligo/platform"
	"github.com/scrapli/scrapligo/util"
)

func openScrapli(t *testing.T, d *Device, extra ...util.Option) *network.Driver {
	t.Helper()
	host, port, _ := net.SplitHostPort(d.SSHAddr())
	p, _ := strconv.Atoi(port)
	spec := d.Spec()
	opts := []util.Option{
		options.WithAuthNoStrictKey(),
		options.WithAuthUsername(spec.Username),
		options.WithAuthPassword(spec.Password),
		options.WithAuthSecondary(spec.EnableSecret),
		options.WithPort(p),
		options.WithTransportType("standard"),
		options.WithTimeoutOps(10 * time.Second),
	}
	opts = append(opts, extra...)
	pl, err := platform.NewPlatform(spec.Platform, host, opts...)
	if err != nil {
		t.Fatal(err)
	}
	drv, err := pl.GetNetworkDriver()
	if err != nil {
		t.Fatal(err)
	}
	if err := drv.Open(); err != nil {
		t.Fatalf("%s: open: %v", spec.Name, err)
	}
	t.Cleanup(func() { drv.Close() })
	return drv
}

func TestScrapliPlatforms(t *testing.T) {
	cases := []struct {
		platform, showRun string
		configs           []string
		want              string
		prompt            string
	}{
		{"cisco_iosxe", "show running-config", []string{"interface GigabitEthernet2", "description from-scrapli", "no shutdown"}, " description from-scrapli", "dev-cisco_iosxe#"},
		{"arista_eos", "show running-config", []string{"interface Ethernet2", "description from-scrapli"}, "   description from-scrapli", "dev-arista_eos#"},
		{"juniper_junos", "show configuration", []string{"set interfaces ge-0/0/1 description from-scrapli", "commit"}, "description from-scrapli;", "netops@dev-juniper_junos>"},
	}
	var specs []DeviceSpec
	for _, c := range cases {
		specs = append(specs, DeviceSpec{Name: "dev-" + c.platform, Platform: c.platform, SSH: true, Serial: "SER-" + c.platform})
	}
	s := newTestSim(t, specs...)
	for _, c := range cases {
		t.Run(c.platform, func(t *testing.T) {
			t.Parallel()
			d := s.Device("dev-" + c.platform)
			drv := openScrapli(t, d)
			prompt, err := drv.GetPrompt()
			if err != nil || strings.TrimSpace(prompt) != c.prompt {
				t.Fatalf("prompt %q, %v; want %q", prompt, err, c.prompt)
			}
			r, err := drv.SendCommand("show version")
			if err != nil || r.Failed != nil {
				t.Fatalf("show version: %v %v", err, r.Failed)
			}
			if !strings.Contains(r.Result, "SER-"+c.platform) || !strings.Contains(r.Result, d.Spec().Version) {
				t.Fatalf("show version lacks serial/version:\n%s", r.Result)
			}
			mr, err := drv.SendConfigs(c.configs)
			if err != nil || mr.Failed != nil {
				t.Fatalf("send configs: %v %v", err, mr.Failed)
			}
			r, err = drv.SendCommand(c.showRun)
			if err != nil || r.Failed != nil {
				t.Fatalf("%s: %v %v", c.showRun, err, r.Failed)
			}
			if !strings.Contains(r.Result, c.want) {
				t.Fatalf("%s lacks %q:\n%s", c.showRun, c.want, r.Result)
			}
			t.Log(r.Result)
			r, err = drv.SendCommand("show bogus thing")
			if err != nil {
				t.Fatal(err)
			}
			if r.Failed == nil {
				t.Fatalf("invalid command not detected as failed:\n%s", r.Result)
			}
		})
	}
}
