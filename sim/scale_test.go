package sim

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestScale1000(t *testing.T) {
	start := time.Now()
	s, err := Fleet(context.Background(), Options{}, FleetSpec{IOS: 400, EOS: 300, Junos: 300, APIs: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	devs := s.Devices()
	if len(devs) != 1000 {
		t.Fatalf("%d devices", len(devs))
	}
	t.Logf("1,000 devices (SSH, NETCONF, HTTP, HTTPS) started in %v", time.Since(start))
	for _, name := range []string{"ios1", "eos300", "junos150"} {
		d := s.Device(name)
		out, err := execSSH(t, d.SSHAddr(), "show version")
		if err != nil || !strings.Contains(out, d.Spec().Serial) {
			t.Fatalf("%s: %v %q", name, err, out)
		}
	}
	c := &http.Client{Timeout: 5 * time.Second}
	defer c.CloseIdleConnections()
	req, _ := http.NewRequest("GET", "http://"+s.Device("eos7").HTTPAddr()+"/api/v1/system", nil)
	req.SetBasicAuth("netops", "netops")
	resp, err := c.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("http: %v", err)
	}
	resp.Body.Close()
	ports := map[string]bool{}
	for _, d := range devs {
		if ports[d.SSHAddr()] {
			t.Fatalf("duplicate address %s", d.SSHAddr())
		}
		ports[d.SSHAddr()] = true
	}
}

func TestFleetInventoryAndPortBase(t *testing.T) {
	s, err := New(Options{PortBase: 42000})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.AddFleet(context.Background(), FleetSpec{IOS: 2, Junos: 1, NETCONF: 1, HTTP: 1, APIs: true}); err != nil {
		t.Fatal(err)
	}
	ios1 := s.Device("ios1")
	if !strings.HasPrefix(ios1.SSHAddr(), "127.0.0.1:420") || ios1.HTTPSAddr() == "" || s.Device("nc1").SSHAddr() != "" {
		t.Fatalf("addresses: %s %s", ios1.SSHAddr(), ios1.HTTPSAddr())
	}
	dir := t.TempDir()
	if err := s.WriteInventory(dir); err != nil {
		t.Fatal(err)
	}
	var hosts map[string]invHost
	b, _ := os.ReadFile(filepath.Join(dir, "hosts.yaml"))
	if err := yaml.Unmarshal(b, &hosts); err != nil {
		t.Fatal(err)
	}
	h := hosts["ios1"]
	_, sshPort := addrPort(ios1.SSHAddr())
	_, ncPort := addrPort(ios1.NETCONFAddr())
	_, httpsPort := addrPort(ios1.HTTPSAddr())
	if h.Port != sshPort || h.Platform != "cisco_iosxe" || h.Username != "netops" ||
		h.ConnectionOptions["netconf"].Port != ncPort || h.ConnectionOptions["restconf"].Port != httpsPort ||
		h.ConnectionOptions["restconf"].Extras["scheme"] != "https" {
		t.Fatalf("ios1: %+v", h)
	}
	if hosts["http1"].ConnectionOptions["http"].Extras["scheme"] != "http" || len(hosts) != 5 {
		t.Fatalf("hosts: %s", b)
	}
	for _, f := range []string{"groups.yaml", "defaults.yaml", "ca.pem"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.Get("http://" + s.Device("http1").HTTPAddr() + "/api/v1/system")
	if err != nil || resp.StatusCode != 401 {
		t.Fatalf("http1: %v", err)
	}
	resp.Body.Close()
	http.DefaultClient.CloseIdleConnections()
}
