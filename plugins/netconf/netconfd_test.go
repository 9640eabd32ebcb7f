package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/internal/peers"
	"github.com/netyard/netyard/sdk"
)

// Tests against a real netconfd (yuma123) behind a real sshd. The netconfd
// is shared by the package (candidate, running and startup included), so
// these tests do not run in parallel and each uses its own interface names.

func netconfdDevice(n *peers.Netconfd, id string, opts map[string]string) sdk.Device {
	o := map[string]string{OptKnownHosts: n.KnownHosts}
	for k, v := range opts {
		o[k] = v
	}
	return sdk.Device{ID: id, Platform: "linux", Host: n.Host, Port: n.Port, Username: peers.User, Password: peers.Password, Options: o}
}

const ifNS = "urn:ietf:params:xml:ns:yang:ietf-interfaces"

func ifConfig(name, description string) string {
	return fmt.Sprintf(`<interfaces xmlns="%s"><interface><name>%s</name>`+
		`<type xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">ianaift:ethernetCsmacd</type>`+
		`<description>%s</description></interface></interfaces>`, ifNS, name, description)
}

func ifFilter(name string) sdk.NetconfFilter {
	return sdk.NetconfFilter{Type: "subtree", Content: fmt.Sprintf(`<interfaces xmlns="%s"><interface><name>%s</name></interface></interfaces>`, ifNS, name)}
}

func TestNetconfdOperations(t *testing.T) {
	n := peers.StartNetconfd(t)
	h := newHost(t)
	for _, base := range []string{"1.1", "1.0"} {
		t.Run("base"+base, func(t *testing.T) {
			c := open(t, h, netconfdDevice(n, "nc-ops-"+base, map[string]string{OptBase: base}))
			nc := c.NETCONF()
			ctx := ctxT(t)
			ifName := "nyops" + strings.ReplaceAll(base, ".", "")

			caps, err := nc.ServerCapabilities(ctx)
			if err != nil || !containsPrefix(caps, "urn:ietf:params:netconf:base:1.1") || !containsPrefix(caps, capCandidate) {
				t.Fatalf("capabilities %v, %v", caps, err)
			}
			for _, ds := range []string{"running", "candidate", "startup"} {
				mustOK(t, "get-config "+ds)(nc.GetConfig(ctx, ds, sdk.NetconfFilter{}))
			}

			// validate, then edit-config with every option, and commit. (netconfd
			// 2.13 quirk: a commit right after <validate> of the candidate
			// commits nothing, and says ok.)
			mustOK(t, "validate")(nc.Validate(ctx, "candidate"))
			mustOK(t, "edit-config")(nc.EditConfig(ctx, sdk.EditConfig{Target: "candidate", Config: ifConfig(ifName, "first"),
				DefaultOperation: "merge", TestOption: "test-then-set", ErrorOption: "rollback-on-error"}))
			r := mustOK(t, "get-config candidate")(nc.GetConfig(ctx, "candidate", ifFilter(ifName)))
			if !strings.Contains(r.Data, "<description>first</description>") {
				t.Fatalf("candidate after edit-config: %q", r.Data)
			}
			if r.SessionID == 0 || r.Elapsed <= 0 {
				t.Errorf("reply lacks session id or elapsed: %+v", r)
			}
			mustOK(t, "commit")(nc.Commit(ctx, sdk.CommitOptions{}))
			r = mustOK(t, "get (xpath)")(nc.Get(ctx, sdk.NetconfFilter{Type: "xpath", Content: "/interfaces-state/interface[name='lo']"}))
			if !strings.Contains(r.Data, "<name>lo</name>") {
				t.Fatalf("get with an xpath filter: %.300q", r.Data)
			}
			// A prefixed select needs its namespace declared: a whole <filter> element.
			r = mustOK(t, "get-config running (xpath filter element)")(nc.GetConfig(ctx, "running", sdk.NetconfFilter{Type: "xpath",
				Content: fmt.Sprintf(`<filter type="xpath" xmlns:if="%s" select="/if:interfaces/if:interface[if:name='%s']"/>`, ifNS, ifName)}))
			if !strings.Contains(r.Data, "<description>first</description>") {
				t.Fatalf("running after commit (xpath): %q", r.Data)
			}

			// discard-changes drops an uncommitted edit.
			mustOK(t, "edit-config 2")(nc.EditConfig(ctx, sdk.EditConfig{Target: "candidate", Config: ifConfig(ifName, "discard-me")}))
			mustOK(t, "discard-changes")(nc.DiscardChanges(ctx))
			r = mustOK(t, "get-config candidate")(nc.GetConfig(ctx, "candidate", ifFilter(ifName)))
			if !strings.Contains(r.Data, "<description>first</description>") {
				t.Fatalf("candidate after discard-changes: %q", r.Data)
			}

			// confirmed commit, then the confirming commit.
			mustOK(t, "edit-config 3")(nc.EditConfig(ctx, sdk.EditConfig{Target: "candidate", Config: ifConfig(ifName, "confirmed")}))
			mustOK(t, "confirmed commit")(nc.Commit(ctx, sdk.CommitOptions{Confirmed: true, ConfirmTimeout: 60 * time.Second}))
			mustOK(t, "confirming commit")(nc.Commit(ctx, sdk.CommitOptions{}))
			r = mustOK(t, "get-config running")(nc.GetConfig(ctx, "running", ifFilter(ifName)))
			if !strings.Contains(r.Data, "<description>confirmed</description>") {
				t.Fatalf("running after confirmed commit: %q", r.Data)
			}

			// lock/unlock, copy-config to startup, delete-config of startup.
			mustOK(t, "lock")(nc.Lock(ctx, "running"))
			mustOK(t, "unlock")(nc.Unlock(ctx, "running"))
			mustOK(t, "copy-config")(nc.CopyConfig(ctx, "startup", "running"))
			r = mustOK(t, "get-config startup")(nc.GetConfig(ctx, "startup", ifFilter(ifName)))
			if !strings.Contains(r.Data, "<description>confirmed</description>") {
				t.Fatalf("startup after copy-config: %q", r.Data)
			}
			mustOK(t, "delete-config")(nc.DeleteConfig(ctx, "startup"))

			// raw RPC: the whole rpc-reply comes back.
			r = mustOK(t, "rpc")(nc.RPC(ctx, `<get-config><source><running/></source></get-config>`))
			if !strings.Contains(r.Data, "rpc-reply") || !strings.Contains(r.Data, ifName) {
				t.Fatalf("raw rpc reply: %.300q", r.Data)
			}

			// rpc-errors are structured replies.
			r, err = nc.EditConfig(ctx, sdk.EditConfig{Target: "candidate", Config: fmt.Sprintf(`<interfaces xmlns="%s"><bogus/></interfaces>`, ifNS)})
			if err != nil || r.OK || len(r.Errors) == 0 {
				t.Fatalf("bad edit-config: %+v, %v", r, err)
			}
			e := r.Errors[0]
			if e.Type != "protocol" && e.Type != "application" || e.Tag != "unknown-element" || e.Severity != "error" || e.Path == "" || e.Message == "" {
				t.Fatalf("rpc-error not mapped: %+v", e)
			}
			r, err = nc.GetConfig(ctx, "nosuchstore", sdk.NetconfFilter{})
			if err != nil || r.OK || len(r.Errors) == 0 {
				t.Fatalf("get-config of an unknown datastore: %+v, %v", r, err)
			}

			info, err := c.DeviceInfo().GetVersion(ctx)
			if err != nil || info.Vendor != "yuma123" || info.Raw == "" {
				t.Fatalf("device info %+v, %v", info, err)
			}
			if alive, err := c.Alive(ctx); !alive || err != nil {
				t.Fatalf("alive %v, %v", alive, err)
			}
		})
	}
}

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

func TestNetconfdLockContention(t *testing.T) {
	n := peers.StartNetconfd(t)
	h := newHost(t)
	a := open(t, h, netconfdDevice(n, "nc-lock-a", nil)).NETCONF()
	b := open(t, h, netconfdDevice(n, "nc-lock-b", map[string]string{OptBase: "1.0"})).NETCONF()
	ctx := ctxT(t)
	mustOK(t, "lock a")(a.Lock(ctx, "candidate"))
	r, err := b.Lock(ctx, "candidate")
	if err != nil || r.OK || len(r.Errors) != 1 || r.Errors[0].Tag != "lock-denied" {
		t.Fatalf("second lock: %+v, %v", r, err)
	}
	if !strings.Contains(r.Errors[0].Info, "session-id") {
		t.Errorf("lock-denied error-info lacks the holder's session-id: %q", r.Errors[0].Info)
	}
	mustOK(t, "unlock a")(a.Unlock(ctx, "candidate"))
	mustOK(t, "lock b")(b.Lock(ctx, "candidate"))
	mustOK(t, "unlock b")(b.Unlock(ctx, "candidate"))
}

func TestNetconfdReplyLimit(t *testing.T) {
	n := peers.StartNetconfd(t)
	h := newHost(t)
	c := open(t, h, netconfdDevice(n, "nc-limit", map[string]string{OptMaxReplySize: "1KiB"}))
	ctx := ctxT(t)
	_, err := c.NETCONF().Get(ctx, sdk.NetconfFilter{}) // interfaces-state alone is several KB
	var oe *host.OperationError
	if !errors.As(err, &oe) || !strings.Contains(err.Error(), OptMaxReplySize) {
		t.Fatalf("oversized reply: %v", err)
	}
	// The oversized reply was skipped; the session goes on.
	mustOK(t, "lock after an oversized reply")(c.NETCONF().Lock(ctx, "running"))
	mustOK(t, "unlock")(c.NETCONF().Unlock(ctx, "running"))
}

func TestNetconfdConnectErrors(t *testing.T) {
	n := peers.StartNetconfd(t)
	h := newHost(t)
	ctx := ctxT(t)
	wrongKey := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(wrongKey, []byte(fmt.Sprintf("[127.0.0.1]:%d ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB6ad1aS1yZQ5sCGmcU3ps8mK4cNnD7eP1ED7sU8Jw1p\n", n.Port)), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, dev := range map[string]sdk.Device{
		"wrong password": func() sdk.Device { d := netconfdDevice(n, "nc-badpw", nil); d.Password = "wrong"; return d }(),
		"wrong host key": netconfdDevice(n, "nc-badkey", map[string]string{OptKnownHosts: wrongKey}),
	} {
		_, err := h.Open(ctx, dev, netconfReq)
		var ce *host.CreationError
		if !errors.As(err, &ce) || ce.Retryable {
			t.Errorf("%s: want a non-retryable creation error, got %v", name, err)
		}
	}
	_, err := h.Open(ctx, netconfdDevice(n, "nc-badopt", map[string]string{"no_such_option": "1"}), netconfReq)
	if err == nil || !strings.Contains(err.Error(), "no_such_option") {
		t.Errorf("unknown option: %v", err)
	}
	closed := netconfdDevice(n, "nc-closed", nil)
	closed.Port = peers.FreePort(t)
	_, err = h.Open(ctx, closed, netconfReq)
	var ce *host.CreationError
	if !errors.As(err, &ce) || !ce.Retryable {
		t.Errorf("closed port: want a retryable creation error, got %v", err)
	}
}

// TestNetconfdCancel cancels a call: the caller gets its error at once and
// the session stays usable (the late reply is dropped).
func TestNetconfdCancel(t *testing.T) {
	n := peers.StartNetconfd(t)
	h := newHost(t)
	c := open(t, h, netconfdDevice(n, "nc-cancel", nil))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.NETCONF().Get(ctx, sdk.NetconfFilter{}); err == nil {
		t.Fatal("a cancelled get succeeded")
	}
	mustOK(t, "get-config after cancel")(c.NETCONF().GetConfig(ctxT(t), "running", sdk.NetconfFilter{}))
}
