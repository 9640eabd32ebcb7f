package sim

import (
	"context"
	"fmt"
)

// FleetSpec says how many devices of each kind a fleet has. Devices are named
// ios1.., eos1.., junos1.., nc1.., http1...
type FleetSpec struct {
	IOS, EOS, Junos int // SSH CLI devices (cisco_iosxe, arista_eos, juniper_junos)
	// NETCONF devices serve only NETCONF over SSH. They use the cisco_iosxe platform data
	// (hostname, serial, version), which NETCONF clients do not care about.
	NETCONF int
	// HTTP devices serve only the HTTP API and RESTCONF, over HTTP and HTTPS
	// (platform data cisco_iosxe, like NETCONF devices).
	HTTP int
	// APIs also starts NETCONF, HTTP and HTTPS on the CLI devices.
	APIs bool

	Username, Password, EnableSecret string // default netops/netops/netops
}

// Specs expands the fleet into device specs.
func (f FleetSpec) Specs() []DeviceSpec {
	var specs []DeviceSpec
	add := func(n int, prefix, platform string, ssh, nc, web bool) {
		for i := 1; i <= n; i++ {
			specs = append(specs, DeviceSpec{
				Name: fmt.Sprintf("%s%d", prefix, i), Platform: platform,
				Username: f.Username, Password: f.Password, EnableSecret: f.EnableSecret,
				SSH: ssh, NETCONF: nc, HTTP: web, HTTPS: web,
			})
		}
	}
	add(f.IOS, "ios", "cisco_iosxe", true, f.APIs, f.APIs)
	add(f.EOS, "eos", "arista_eos", true, f.APIs, f.APIs)
	add(f.Junos, "junos", "juniper_junos", true, f.APIs, f.APIs)
	add(f.NETCONF, "nc", "cisco_iosxe", false, true, false)
	add(f.HTTP, "http", "cisco_iosxe", false, false, true)
	return specs
}

// AddFleet adds every device of f, stopping at the first error.
func (s *Sim) AddFleet(ctx context.Context, f FleetSpec) ([]*Device, error) {
	var devs []*Device
	for _, spec := range f.Specs() {
		d, err := s.Add(ctx, spec)
		if err != nil {
			return devs, err
		}
		devs = append(devs, d)
	}
	return devs, nil
}

// Fleet creates a Sim and starts the devices of f in it; on error nothing is left running.
func Fleet(ctx context.Context, opts Options, f FleetSpec) (*Sim, error) {
	s, err := New(opts)
	if err != nil {
		return nil, err
	}
	if _, err := s.AddFleet(ctx, f); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}
