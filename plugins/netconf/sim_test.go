package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/sdk"
	"github.com/netyard/netyard/sim"
)

// simPassword is the simulated devices' password.
const simPassword = "sim-Secret-pw9"

// simDevice adds a NETCONF device to a new simulator and returns how to reach it.
func simDevice(t *testing.T, spec sim.DeviceSpec) (*sim.Device, sdk.Device) {
	t.Helper()
	s, err := sim.New(sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	spec.NETCONF = true
	spec.Password = simPassword
	d, err := s.Add(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	addr := d.NETCONFAddr()
	hostStr, portStr, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portStr)
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, []byte(knownhosts.Line([]string{addr}, s.HostKey())+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return d, sdk.Device{ID: spec.Name, Platform: "cisco_iosxe", Host: hostStr, Port: port, Username: "netops", Password: simPassword,
		Options: map[string]string{OptKnownHosts: kh}}
}

func TestSimOperations(t *testing.T) {
	h := newHost(t)
	for _, base10 := range []bool{false, true} {
		name := "sim-ops-11"
		if base10 {
			name = "sim-ops-10"
		}
		t.Run(name, func(t *testing.T) {
			_, dev := simDevice(t, sim.DeviceSpec{Name: name, NETCONFBase10Only: base10})
			c := open(t, h, dev)
			nc := c.NETCONF()
			ctx := ctxT(t)
			caps, err := nc.ServerCapabilities(ctx)
			if err != nil || containsPrefix(caps, "urn:ietf:params:netconf:base:1.1") == base10 {
				t.Fatalf("capabilities %v, %v", caps, err)
			}
			for _, ds := range []string{"running", "candidate", "startup"} {
				r := mustOK(t, "get-config "+ds)(nc.GetConfig(ctx, ds, sdk.NetconfFilter{}))
				if !strings.Contains(r.Data, "<name>eth0</name>") {
					t.Fatalf("get-config %s: %.300q", ds, r.Data)
				}
			}
			r := mustOK(t, "get subtree")(nc.Get(ctx, ifFilter("eth0")))
			if !strings.Contains(r.Data, "eth0") || strings.Contains(r.Data, "lo0") {
				t.Fatalf("get with a subtree filter: %.400q", r.Data)
			}
			r = mustOK(t, "get xpath")(nc.Get(ctx, sdk.NetconfFilter{Type: "xpath",
				Content: `<filter type="xpath" xmlns:if="` + ifNS + `" select="/if:interfaces/if:interface[if:name='eth1']"/>`}))
			if !strings.Contains(r.Data, "eth1") || strings.Contains(r.Data, "eth0") {
				t.Fatalf("get with an xpath filter: %.400q", r.Data)
			}

			mustOK(t, "edit-config")(nc.EditConfig(ctx, sdk.EditConfig{Target: "candidate", Config: ifConfig("eth9", "sim edit"),
				DefaultOperation: "merge", TestOption: "test-then-set", ErrorOption: "rollback-on-error"}))
			mustOK(t, "validate")(nc.Validate(ctx, "candidate"))
			mustOK(t, "commit")(nc.Commit(ctx, sdk.CommitOptions{}))
			r = mustOK(t, "get-config running")(nc.GetConfig(ctx, "running", ifFilter("eth9")))
			if !strings.Contains(r.Data, "sim edit") {
				t.Fatalf("running after commit: %q", r.Data)
			}

			mustOK(t, "edit-config 2")(nc.EditConfig(ctx, sdk.EditConfig{Target: "candidate", Config: ifConfig("eth9", "discard me")}))
			mustOK(t, "discard-changes")(nc.DiscardChanges(ctx))
			if r = mustOK(t, "candidate")(nc.GetConfig(ctx, "candidate", ifFilter("eth9"))); strings.Contains(r.Data, "discard me") {
				t.Fatalf("candidate after discard-changes: %q", r.Data)
			}

			mustOK(t, "edit-config 3")(nc.EditConfig(ctx, sdk.EditConfig{Target: "candidate", Config: ifConfig("eth9", "confirm me")}))
			mustOK(t, "confirmed commit")(nc.Commit(ctx, sdk.CommitOptions{Confirmed: true, ConfirmTimeout: time.Minute, Persist: "p1"}))
			mustOK(t, "cancel-commit")(nc.CancelCommit(ctx, "p1"))
			if r = mustOK(t, "running")(nc.GetConfig(ctx, "running", ifFilter("eth9"))); !strings.Contains(r.Data, "sim edit") {
				t.Fatalf("running after cancel-commit: %q", r.Data)
			}

			mustOK(t, "lock")(nc.Lock(ctx, "running"))
			mustOK(t, "unlock")(nc.Unlock(ctx, "running"))
			mustOK(t, "copy-config")(nc.CopyConfig(ctx, "startup", "running"))
			if r = mustOK(t, "startup")(nc.GetConfig(ctx, "startup", ifFilter("eth9"))); !strings.Contains(r.Data, "sim edit") {
				t.Fatalf("startup after copy-config: %q", r.Data)
			}
			mustOK(t, "delete-config")(nc.DeleteConfig(ctx, "startup"))
			r = mustOK(t, "rpc")(nc.RPC(ctx, `<get-config><source><running/></source></get-config>`))
			if !strings.HasPrefix(strings.TrimSpace(r.Data), "<") || !strings.Contains(r.Data, "rpc-reply") {
				t.Fatalf("raw rpc: %.200q", r.Data)
			}

			r, err = nc.EditConfig(ctx, sdk.EditConfig{Target: "candidate", Config: `<interfaces xmlns="` + ifNS + `"><interface xmlns:nc="` + baseNS + `" nc:operation="delete"><name>nosuch</name></interface></interfaces>`})
			if err != nil || r.OK || len(r.Errors) == 0 {
				t.Fatalf("bad edit-config: %+v, %v", r, err)
			}
			if e := r.Errors[0]; e.Type != "application" || e.Tag != "data-missing" || e.Severity != "error" || e.Message == "" {
				t.Fatalf("rpc-error not mapped: %+v", e)
			}
			info, err := c.DeviceInfo().GetVersion(ctx)
			if err != nil || info.Hostname == "" {
				t.Fatalf("device info %+v, %v", info, err)
			}
		})
	}
}

func TestSimLockContention(t *testing.T) {
	h := newHost(t)
	_, dev := simDevice(t, sim.DeviceSpec{Name: "sim-lock"})
	a := open(t, h, dev).NETCONF()
	dev.ID = "sim-lock-b"
	b := open(t, h, dev).NETCONF()
	ctx := ctxT(t)
	mustOK(t, "lock a")(a.Lock(ctx, "running"))
	r, err := b.Lock(ctx, "running")
	if err != nil || r.OK || len(r.Errors) == 0 || r.Errors[0].Tag != "lock-denied" {
		t.Fatalf("second lock: %+v, %v", r, err)
	}
	mustOK(t, "unlock a")(a.Unlock(ctx, "running"))
	mustOK(t, "lock b")(b.Lock(ctx, "running"))
}

func TestSimLargeReplies(t *testing.T) {
	h := newHost(t)
	for _, size := range []int{1 << 20, 10 << 20} {
		for _, base10 := range []bool{false, true} {
			name := fmt.Sprintf("sim-large-%d-base10-%v", size>>20, base10)
			t.Run(name, func(t *testing.T) {
				_, dev := simDevice(t, sim.DeviceSpec{Name: name, NETCONFBase10Only: base10, Faults: sim.Faults{OutputSize: size}})
				r := mustOK(t, "get-config")(open(t, h, dev).NETCONF().GetConfig(ctxT(t), "running", sdk.NetconfFilter{}))
				if len(r.Data) < size*9/10 || !strings.HasSuffix(strings.TrimSpace(r.Data), ">") {
					t.Fatalf("reply of %d bytes, want about %d", len(r.Data), size)
				}
			})
		}
	}
}

func TestSimFaults(t *testing.T) {
	h := newHost(t)
	t.Run("hang", func(t *testing.T) {
		d, dev := simDevice(t, sim.DeviceSpec{Name: "sim-hang"})
		c := open(t, h, dev)
		d.SetFaults(sim.Faults{Hang: true})
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_, err := c.NETCONF().GetConfig(ctx, "running", sdk.NetconfFilter{})
		var oe *host.OperationError
		if !errors.As(err, &oe) {
			t.Fatalf("hung device: %v", err)
		}
	})
	t.Run("drop", func(t *testing.T) {
		d, dev := simDevice(t, sim.DeviceSpec{Name: "sim-drop"})
		c := open(t, h, dev)
		d.SetFaults(sim.Faults{DropAfter: 1})
		ctx := ctxT(t)
		mustOK(t, "first")(c.NETCONF().GetConfig(ctx, "running", sdk.NetconfFilter{}))
		if _, err := c.NETCONF().GetConfig(ctx, "running", sdk.NetconfFilter{}); err == nil {
			t.Fatal("a dropped session answered")
		}
		if alive, _ := c.Alive(ctx); alive {
			t.Fatal("a dropped session is alive")
		}
	})
	t.Run("auth", func(t *testing.T) {
		_, dev := simDevice(t, sim.DeviceSpec{Name: "sim-auth", Faults: sim.Faults{AuthFail: true}})
		_, err := h.Open(ctxT(t), dev, netconfReq)
		var ce *host.CreationError
		if !errors.As(err, &ce) || ce.Retryable {
			t.Fatalf("auth failure: %v", err)
		}
	})
}
