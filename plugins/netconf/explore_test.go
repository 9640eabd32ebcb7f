package main

import (
	"testing"

	"github.com/netyard/netyard/internal/peers"
	"github.com/netyard/netyard/sdk"
)

func TestExplore(t *testing.T) {
	n := peers.StartNetconfd(t)
	h := newHost(t)
	c := open(t, h, sdk.Device{ID: "nc1", Platform: "linux", Host: n.Host, Port: n.Port, Username: peers.User, Password: peers.Password,
		Options: map[string]string{"known_hosts": n.KnownHosts}})
	ctx := ctxT(t)
	caps, err := c.NETCONF().ServerCapabilities(ctx)
	t.Log(caps, err)
	r, err := c.NETCONF().GetConfig(ctx, "running", sdk.NetconfFilter{})
	t.Logf("%+v %v", r, err)
	r, err = c.NETCONF().EditConfig(ctx, sdk.EditConfig{Target: "candidate", Config: `<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>nyx0</name><type xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">ianaift:ethernetCsmacd</type><description>hello</description></interface></interfaces>`})
	t.Logf("%+v %v", r, err)
	r, err = c.NETCONF().EditConfig(ctx, sdk.EditConfig{Target: "candidate", Config: `<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><bogus/></interfaces>`})
	t.Logf("%+v %v", r, err)
	r, err = c.NETCONF().Get(ctx, sdk.NetconfFilter{Type: "xpath", Content: "/interfaces-state"})
	t.Logf("%.500s %v", r.Data, err)
	r, err = c.NETCONF().RPC(ctx, `<get-config><source><candidate/></source></get-config>`)
	t.Logf("%+v %v", r, err)
	i, err := c.DeviceInfo().GetVersion(ctx)
	t.Logf("%+v %v", i, err)
}
