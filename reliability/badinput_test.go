package reliability

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/internal/testenv"
	"github.com/netyard/netyard/sdk"
	"github.com/netyard/netyard/sim"
)

// TestInvalidDeviceRecords: a device record missing required fields is a
// Validation error listing every missing field, for every plugin, before
// anything is launched.
func TestInvalidDeviceRecords(t *testing.T) {
	e := newEnv(t, envOptions{})
	cases := []struct {
		dev     host.Device
		missing []string
	}{
		{host.Device{ID: "bare"}, []string{"platform", "host", "username", "password or private_key"}},
		{host.Device{ID: "no-creds", Platform: "cisco_iosxe", Host: "127.0.0.1"}, []string{"username", "password or private_key"}},
		{host.Device{ID: "no-host", Platform: "cisco_iosxe", Username: "u", Password: password}, []string{"host"}},
		{host.Device{ID: "no-platform", Host: "127.0.0.1", Username: "u", PrivateKey: []byte("k")}, []string{"platform"}},
	}
	for _, req := range []host.Request{sshReq, netconfReq, apiReq, restconfReq} {
		for _, tc := range cases {
			_, err := e.h.Open(context.Background(), tc.dev, req)
			var ve *host.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, host.ErrConnection) {
				t.Errorf("%s via %s: want a ValidationError, got %v", tc.dev.ID, req.Type, err)
				continue
			}
			if strings.Join(ve.Missing, ",") != strings.Join(tc.missing, ",") {
				t.Errorf("%s via %s: missing %q, want %q", tc.dev.ID, req.Type, ve.Missing, tc.missing)
			}
			for _, f := range tc.missing {
				if !strings.Contains(err.Error(), f) {
					t.Errorf("%s via %s: the message does not name %s: %v", tc.dev.ID, req.Type, f, err)
				}
			}
			if !strings.Contains(err.Error(), tc.dev.ID) {
				t.Errorf("the message does not name the device: %v", err)
			}
		}
	}
	for _, p := range plugins {
		if pids := testenv.PluginPIDs(t, e.binary(p)); len(pids) > 0 {
			t.Errorf("validation failures launched %s: %v", p, pids)
		}
	}
}

// TestOversizedReplies: replies larger than the configured limit fail with
// an error naming the limit, the session or host stays usable, and memory
// stays bounded: the NETCONF plugin's max_reply_size, httpx-api's
// max_response (also against an endless body), and the host's
// MaxMessageSize for what crosses from plugin to host.
func TestOversizedReplies(t *testing.T) {
	const hostMax = 4 << 20
	e := newEnv(t, envOptions{fleet: sim.FleetSpec{IOS: 1, NETCONF: 1},
		mod: func(c *host.Config) { c.MaxMessageSize = hostMax }})
	ctx := ctxT(t, 60*time.Second)

	t.Run("netconf max_reply_size", func(t *testing.T) {
		d := e.nc[0]
		c, err := e.h.Open(ctx, e.netconfDevice(d, map[string]string{"max_reply_size": "1MiB"}), netconfReq)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		d.SetFaults(sim.Faults{OutputSize: 8 << 20})
		defer d.SetFaults(sim.Faults{})
		_, err = c.NETCONF().GetConfig(ctx, "running", sdk.NetconfFilter{})
		var oe *host.OperationError
		if !errors.As(err, &oe) || !strings.Contains(err.Error(), "max_reply_size") {
			t.Fatalf("8 MiB reply over a 1 MiB max_reply_size: want an Operation error naming max_reply_size, got %v", err)
		}
		d.SetFaults(sim.Faults{})
		if r, err := c.NETCONF().GetConfig(ctx, "running", sdk.NetconfFilter{}); err != nil || !r.OK {
			t.Fatalf("the session after an oversized reply: %+v %v", r, err)
		}
		t.Logf("netconf: %v", oe)
	})

	t.Run("httpx-api max_response", func(t *testing.T) {
		chunk := []byte(strings.Repeat("x", 64<<10))
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodHead {
				return
			}
			n := 8 << 20 // or endless
			if r.URL.Path == "/endless" {
				n = -1
			}
			for sent := 0; n < 0 || sent < n; sent += len(chunk) {
				if _, err := w.Write(chunk); err != nil || r.Context().Err() != nil {
					return
				}
			}
		}))
		defer srv.Close()
		h, port := hostPort(t, strings.TrimPrefix(srv.URL, "http://"))
		dev := host.Device{ID: "big-api", Platform: "generic", Host: h, Port: port, Username: username, Password: password,
			Options: map[string]string{"scheme": "http", "max_response": strconv.Itoa(1 << 20)}}
		c, err := e.h.Open(ctx, dev, apiReq)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		pid := c.Plugin().PID
		for _, path := range []string{"/big", "/endless"} {
			cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			_, err := c.API().Do(cctx, sdk.APIRequest{Method: "GET", Path: path})
			cancel()
			var oe *host.OperationError
			if !errors.As(err, &oe) || oe.Retryable || !strings.Contains(err.Error(), "max_response") {
				t.Errorf("%s over a 1 MiB max_response: want a non-retryable Operation error naming max_response, got %v", path, err)
			}
		}
		if rss := rssKB(pid); rss > 200<<10 {
			t.Errorf("httpx-api RSS %d KiB after refusing oversized bodies", rss)
		}
		t.Logf("httpx-api: plugin RSS after the endless body %.1f MiB", float64(rssKB(pid))/1024)
	})

	t.Run("host MaxMessageSize", func(t *testing.T) {
		d := e.cli[0]
		c, err := e.h.Open(ctx, e.sshDevice(d, nil), sshReq)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		d.SetFaults(sim.Faults{OutputSize: 3 * hostMax})
		_, err = c.CLI().SendCommand(ctx, "show running-config")
		d.SetFaults(sim.Faults{})
		var oe *host.OperationError
		if !errors.As(err, &oe) || !strings.Contains(err.Error(), "MaxMessageSize") {
			t.Fatalf("12 MiB reply over a 4 MiB host MaxMessageSize: want an Operation error naming MaxMessageSize, got %v", err)
		}
		if v, err := c.DeviceInfo().GetVersion(ctx); err != nil || v.Hostname != d.Hostname() {
			t.Fatalf("the session after an oversized reply: %+v %v", v, err)
		}
		t.Logf("host: %v", oe)
	})
}
