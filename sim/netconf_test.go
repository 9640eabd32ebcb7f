package sim

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scrapli/scrapligo/driver/netconf"
	"github.com/scrapli/scrapligo/driver/options"
)

func TestNETCONFThroughSim(t *testing.T) {
	s := newTestSim(t, DeviceSpec{Name: "nc1", Platform: "cisco_iosxe", NETCONF: true, Hostname: "nc-host"})
	d := s.Device("nc1")
	host, port, _ := net.SplitHostPort(d.NETCONFAddr())
	p, _ := strconv.Atoi(port)
	drv, err := netconf.NewDriver(host,
		options.WithAuthNoStrictKey(), options.WithAuthUsername("netops"), options.WithAuthPassword("netops"),
		options.WithPort(p), options.WithTransportType("standard"), options.WithTimeoutOps(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := drv.Open(); err != nil {
		t.Fatal(err)
	}
	defer drv.Close()
	r, err := drv.GetConfig("running")
	if err != nil || r.Failed != nil || !strings.Contains(r.Result, "nc-host") {
		t.Fatalf("get-config: %v %v %q", err, r, r.Result)
	}
	if d.Stats().RPCs == 0 || d.Store() == nil {
		t.Errorf("stats: %+v", d.Stats())
	}
}
