package sim

import (
	"context"
	"io"
	"net/http"
	"sync"

	"golang.org/x/crypto/ssh"

	"github.com/netyard/netyard/sim/datastore"
	"github.com/netyard/netyard/sim/netconf"
	"github.com/netyard/netyard/sim/restconf"
)

// Store returns the device's NETCONF/RESTCONF datastore (ietf-interfaces and
// ietf-system content, system hostname = the device hostname), creating it on first use.
func (d *Device) Store() *datastore.Store {
	d.storeOnce.Do(func() {
		d.store = datastore.NewDefault(d.spec.Hostname)
		d.ncServer = netconf.NewServer(d.store)
	})
	return d.store
}

// closeBackend stops the datastore's timers.
func (d *Device) closeBackend() {
	d.storeOnce.Do(func() {}) // synchronizes with Store
	if d.store != nil {
		d.store.Close()
	}
}

// netconfOptions maps the fault knobs to NETCONF session options; sim/netconf calls it
// before every RPC, so it also counts RPCs.
func (d *Device) netconfOptions() netconf.Options {
	f := d.Faults()
	return netconf.Options{
		Latency: f.Latency, DropAfter: f.DropAfter, Hang: f.Hang, OutputSize: f.OutputSize,
		Base10Only: d.spec.NETCONFBase10Only, Logger: d.sim.log.With("device", d.spec.Name),
	}
}

// serveNETCONF runs one NETCONF session on an SSH channel (subsystem "netconf").
func (d *Device) serveNETCONF(ctx context.Context, ch io.ReadWriteCloser, sc *ssh.ServerConn) error {
	d.Store()
	return d.ncServer.ServeSession(ctx, ch, d.netconfOptions(), func() netconf.Options {
		d.rpcs.Add(1)
		return d.netconfOptions()
	})
}

// restconfHandler serves RESTCONF over the device's datastore, created on
// the first request so that idle HTTP devices stay small.
func (d *Device) restconfHandler() http.Handler {
	h := sync.OnceValue(func() http.Handler { return restconf.Handler(d.Store()) })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h().ServeHTTP(w, r) })
}
