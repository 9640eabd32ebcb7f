package sim

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/netyard/netyard/sim/datastore"
)

// TestRESTCONFMounted: the device's HTTP server serves RESTCONF behind its
// auth, over the same datastore as its NETCONF server.
func TestRESTCONFMounted(t *testing.T) {
	s := newTestSim(t, DeviceSpec{Name: "r1", Platform: "cisco_iosxe", HTTP: true, NETCONF: true})
	d := s.Device("r1")
	c := &http.Client{Timeout: 5 * time.Second}
	defer c.CloseIdleConnections()
	base := "http://" + d.HTTPAddr()
	if code, _, _ := doJSON(t, c, "GET", base+"/restconf/data/ietf-interfaces:interfaces", nil, nil); code != 401 {
		t.Fatalf("RESTCONF without auth: %d, want 401", code)
	}
	code, m, _ := doJSON(t, c, "GET", base+"/restconf/data/ietf-interfaces:interfaces", nil, basic)
	if code != 200 || m["ietf-interfaces:interfaces"] == nil {
		t.Fatalf("RESTCONF get: %d %v", code, m)
	}
	body := map[string]any{"ietf-interfaces:interface": []any{map[string]any{"name": "lo9", "description": "via-restconf",
		"type": "iana-if-type:softwareLoopback"}}}
	if code, m, _ := doJSON(t, c, "PUT", base+"/restconf/data/ietf-interfaces:interfaces/interface=lo9", body, basic); code/100 != 2 {
		t.Fatalf("RESTCONF put: %d %v", code, m)
	}
	nodes, err := d.Store().GetConfig(datastore.Running, nil)
	if err != nil {
		t.Fatal(err)
	}
	var xml strings.Builder
	for _, n := range nodes {
		xml.WriteString(n.String())
	}
	if !strings.Contains(xml.String(), "via-restconf") {
		t.Fatalf("the RESTCONF edit is not in the NETCONF running datastore:\n%s", xml.String())
	}
}
