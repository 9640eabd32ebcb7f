package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/internal/peers"
	"github.com/netyard/netyard/internal/testenv"
	"github.com/netyard/netyard/sdk"
)

func TestMain(m *testing.M) {
	// netconfd is shared by the package's tests (StartNetconfd); stop it
	// before goleak looks for leftovers.
	goleak.VerifyTestMain(m, goleak.Cleanup(func(int) { peers.StopNetconfd() }))
}

var netconfReq = host.Request{Type: "netconf"}

// newHost starts a host on a fresh plugin directory holding the built
// netconf plugin; at cleanup it checks no plugin process is left and that
// no log line carries the password.
func newHost(t testing.TB) *host.Host {
	t.Helper()
	dir := testenv.PluginDir(t, "netconf")
	logs := &testenv.LogBuffer{}
	h, err := host.New(host.Config{PluginDirs: []string{dir}, Logger: newLogger(logs)})
	if err != nil {
		t.Fatalf("host.New: %v", err)
	}
	t.Cleanup(func() {
		h.Close()
		testenv.WaitNoProcesses(t, filepath.Join(dir, "netconf", "netconf"), 5*time.Second)
		for _, pw := range []string{peers.Password, simPassword} {
			if strings.Contains(logs.String(), pw) {
				t.Errorf("a password appears in the host log")
			}
		}
	})
	return h
}

// open opens a connection through h and closes it at cleanup.
func open(t testing.TB, h *host.Host, dev sdk.Device) *host.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := h.Open(ctx, dev, netconfReq)
	if err != nil {
		t.Fatalf("open %s: %v", dev.ID, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// mustOK fails the test unless the operation succeeded without rpc-errors.
// Use as mustOK(t, "what")(nc.Get(...)).
func mustOK(t testing.TB, what string) func(sdk.NetconfReply, error) sdk.NetconfReply {
	return func(r sdk.NetconfReply, err error) sdk.NetconfReply {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if !r.OK {
			t.Fatalf("%s: rpc-errors %+v", what, r.Errors)
		}
		return r
	}
}
