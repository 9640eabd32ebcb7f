package inventory_test

import (
	"context"
	"net"
	"strconv"
	"testing"

	"github.com/netyard/netyard/inventory"
	"github.com/netyard/netyard/sim"
)

func port(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return n
}

// TestSimInventory loads what the simulator writes (the same files as
// `netyard sim --inventory-out`) and checks every connection type against
// the addresses the devices listen on.
func TestSimInventory(t *testing.T) {
	s, err := sim.Fleet(context.Background(), sim.Options{}, sim.FleetSpec{IOS: 1, Junos: 1, NETCONF: 1, HTTP: 1, APIs: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dir := t.TempDir()
	if err := s.WriteInventory(dir); err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range s.Devices() {
		sp := d.Spec()
		h, ok := inv.Host(sp.Name)
		if !ok || h.Platform != sp.Platform || h.Data["vendor"] != sp.Vendor || h.Data["simulated"] != true {
			t.Errorf("%s: host %+v", sp.Name, h)
		}
		check := func(typ, addr string, opts map[string]string) {
			t.Helper()
			if addr == "" {
				return
			}
			dev, err := inv.Device(sp.Name, typ)
			if err != nil {
				t.Errorf("%s %s: %v", sp.Name, typ, err)
				return
			}
			if dev.Host != "127.0.0.1" || dev.Port != port(t, addr) || dev.Username != sp.Username || dev.Password != sp.Password {
				t.Errorf("%s %s: %s:%d %s, want %s", sp.Name, typ, dev.Host, dev.Port, dev.Username, addr)
			}
			for k, v := range opts {
				if dev.Options[k] != v {
					t.Errorf("%s %s: option %s = %q, want %q (all: %v)", sp.Name, typ, k, dev.Options[k], v, dev.Options)
				}
			}
			if typ == "ssh" && dev.EnableSecret != sp.EnableSecret {
				t.Errorf("%s: enable secret %q", sp.Name, dev.EnableSecret)
			}
		}
		check("ssh", d.SSHAddr(), map[string]string{"strict_host_key": "false", "transport": "standard"})
		check("netconf", d.NETCONFAddr(), map[string]string{"insecure_skip_verify": "true"})
		httpAddr, scheme := d.HTTPAddr(), "http"
		check("api", httpAddr, map[string]string{"scheme": scheme})
		check("restconf", d.HTTPSAddr(), map[string]string{"scheme": "https", "ca_file": dir + "/ca.pem"})
	}
}
