package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"go.uber.org/goleak"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/internal/testenv"
	"github.com/netyard/netyard/sdk"
	"github.com/netyard/netyard/sim"
	"github.com/netyard/netyard/sim/datastore"
	"github.com/netyard/netyard/sim/restconf"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// password is every test device's password; it must never reach a log.
const password = "Pl41n-s3cret!pw"

var (
	apiReq      = host.Request{Type: TypeAPI, Library: Library}
	restconfReq = host.Request{Type: TypeRESTCONF, Library: Library}
)

// env is a simulator and a host whose plugin directory holds the built plugin.
type env struct {
	sim  *sim.Sim
	host *host.Host
	ca   string // the sim's CA, as a file
	logs *testenv.LogBuffer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	s, err := sim.New(sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := testenv.PluginDir(t, "httpx-api")
	logs := &testenv.LogBuffer{}
	h, err := host.New(host.Config{
		PluginDirs: []string{dir},
		Logger:     hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: logs}),
	})
	if err != nil {
		s.Close()
		t.Fatal(err)
	}
	ca := filepath.Join(t.TempDir(), "sim-ca.pem")
	if err := os.WriteFile(ca, s.CACertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		h.Close()
		s.Close()
		testenv.WaitNoProcesses(t, filepath.Join(dir, "httpx-api", "httpx-api"), 5*time.Second)
		if strings.Contains(logs.String(), password) {
			t.Errorf("the device password appears in the host log")
		}
	})
	return &env{sim: s, host: h, ca: ca, logs: logs}
}

func (e *env) addDevice(t *testing.T, spec sim.DeviceSpec) *sim.Device {
	t.Helper()
	if spec.Name == "" {
		spec.Name = strings.ReplaceAll(t.Name(), "/", "_")
	}
	spec.HTTP, spec.HTTPS = true, true
	if spec.Password == "" {
		spec.Password = password
	}
	d, err := e.sim.Add(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// device describes addr ("127.0.0.1:port") to the host.
func device(t *testing.T, addr string, opts map[string]string) host.Device {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(p)
	return host.Device{ID: "dev-" + strings.ReplaceAll(t.Name(), "/", "_"), Platform: "cisco_iosxe", Host: h, Port: port,
		Username: "netops", Password: password, Options: opts}
}

func (e *env) open(t *testing.T, dev host.Device, req host.Request) *host.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := e.host.Open(ctx, dev, req)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func creationErr(t *testing.T, err error, retryable bool) {
	t.Helper()
	var ce *host.CreationError
	if !errors.As(err, &ce) {
		t.Fatalf("want a CreationError, got %T: %v", err, err)
	}
	if ce.Retryable != retryable {
		t.Fatalf("CreationError retryable = %v, want %v: %v", ce.Retryable, retryable, err)
	}
}

func TestAPIPlainHTTP(t *testing.T) {
	e := newEnv(t)
	d := e.addDevice(t, sim.DeviceSpec{Platform: "cisco_iosxe"})
	c := e.open(t, device(t, d.HTTPAddr(), map[string]string{OptScheme: "http"}), apiReq)
	ctx := ctxT(t)
	api := c.API()

	r, err := api.Do(ctx, sdk.APIRequest{Method: "GET", Path: "/api/v1/system", Query: []sdk.Header{{Name: "fields", Value: "all"}}})
	if err != nil {
		t.Fatal(err)
	}
	var sys map[string]any
	if r.Status != 200 || json.Unmarshal(r.Body, &sys) != nil || sys["hostname"] != d.Hostname() {
		t.Fatalf("GET system: %d %s", r.Status, r.Body)
	}
	if r.Attempts != 1 || r.Elapsed <= 0 || !strings.HasPrefix(r.Header("content-type"), "application/json") {
		t.Fatalf("attempts %d, elapsed %v, headers %v", r.Attempts, r.Elapsed, r.Headers)
	}

	// CRUD; every status, errors included, is a response.
	steps := []struct {
		method, path, body string
		status             int
	}{
		{"POST", "/api/v1/interfaces", `{"name":"Loopback99","description":"test","type":"softwareLoopback"}`, 201},
		{"POST", "/api/v1/interfaces", `{"name":"Loopback99"}`, 409},
		{"PATCH", "/api/v1/interfaces/Loopback99", `{"description":"patched"}`, 200},
		{"GET", "/api/v1/interfaces/Loopback99", ``, 200},
		{"DELETE", "/api/v1/interfaces/Loopback99", ``, 204},
		{"GET", "/api/v1/interfaces/Loopback99", ``, 404},
	}
	for _, st := range steps {
		r, err := api.Do(ctx, sdk.APIRequest{Method: st.method, Path: st.path, Body: []byte(st.body)})
		if err != nil {
			t.Fatalf("%s %s: %v", st.method, st.path, err)
		}
		if r.Status != st.status {
			t.Fatalf("%s %s: status %d, want %d: %s", st.method, st.path, r.Status, st.status, r.Body)
		}
		if st.method == "GET" && st.status == 200 && !strings.Contains(string(r.Body), `"patched"`) {
			t.Fatalf("PATCH not applied: %s", r.Body)
		}
	}

	// A path that leaves the device is refused before anything is sent.
	if _, err := api.Do(ctx, sdk.APIRequest{Method: "GET", Path: "http://example.com/x"}); host.Kind(err) != "operation" {
		t.Fatalf("absolute URL: want an operation error, got %v", err)
	}

	info, err := c.DeviceInfo().GetVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	spec := d.Spec()
	if info.Hostname != d.Hostname() || info.Vendor != spec.Vendor || info.Model != spec.Model || info.Serial != spec.Serial ||
		info.SoftwareRelease != spec.Version || info.Raw == "" {
		t.Fatalf("device_info %+v does not match the spec %+v", info, spec)
	}
	if _, err := c.RESTCONF().Get(ctx, "ietf-system:system"); host.Kind(err) != "not_implemented" {
		t.Fatalf("restconf on an api connection: want not_implemented, got %v", err)
	}
}

func TestAPITLS(t *testing.T) {
	e := newEnv(t)
	d := e.addDevice(t, sim.DeviceSpec{})
	ctx := ctxT(t)

	t.Run("trusted CA", func(t *testing.T) {
		c := e.open(t, device(t, d.HTTPSAddr(), map[string]string{OptCAFile: e.ca}), apiReq)
		r, err := c.API().Do(ctx, sdk.APIRequest{Path: "/api/v1/interfaces"})
		if err != nil || r.Status != 200 {
			t.Fatalf("GET over TLS: %v %d", err, r.Status)
		}
	})
	t.Run("unknown CA", func(t *testing.T) {
		_, err := e.host.Open(ctx, device(t, d.HTTPSAddr(), nil), apiReq)
		creationErr(t, err, false)
		if !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("the error should say the certificate is the problem: %v", err)
		}
	})
	t.Run("insecure", func(t *testing.T) {
		c := e.open(t, device(t, d.HTTPSAddr(), map[string]string{OptInsecure: "true"}), apiReq)
		if r, err := c.API().Do(ctx, sdk.APIRequest{Path: "/api/v1/system"}); err != nil || r.Status != 200 {
			t.Fatalf("GET insecure: %v %d", err, r.Status)
		}
	})
	t.Run("https to a plain port", func(t *testing.T) {
		_, err := e.host.Open(ctx, device(t, d.HTTPAddr(), map[string]string{OptCAFile: e.ca}), apiReq)
		creationErr(t, err, false)
	})
	t.Run("bad options", func(t *testing.T) {
		_, err := e.host.Open(ctx, device(t, d.HTTPSAddr(), map[string]string{OptAuth: "kerberos", OptRetries: "99"}), apiReq)
		if host.Kind(err) != "validation" || !strings.Contains(err.Error(), OptAuth) || !strings.Contains(err.Error(), OptRetries) {
			t.Fatalf("want a validation error naming both options, got %v", err)
		}
	})
}

func TestConnectionRefused(t *testing.T) {
	e := newEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for _, req := range []host.Request{apiReq, restconfReq} {
		_, err := e.host.Open(ctxT(t), device(t, addr, map[string]string{OptScheme: "http"}), req)
		creationErr(t, err, true)
	}
}

func TestAuth(t *testing.T) {
	e := newEnv(t)
	d := e.addDevice(t, sim.DeviceSpec{TokenTTL: 300 * time.Millisecond})
	ctx := ctxT(t)
	wrong := func(opts map[string]string) host.Device {
		dev := device(t, d.HTTPSAddr(), opts)
		dev.Password = "wrong-" + password
		return dev
	}

	t.Run("basic wrong password at connect", func(t *testing.T) {
		_, err := e.host.Open(ctx, wrong(map[string]string{OptCAFile: e.ca, OptProbePath: "/api/v1/system"}), apiReq)
		creationErr(t, err, false)
	})
	t.Run("basic wrong password at first call", func(t *testing.T) {
		c := e.open(t, wrong(map[string]string{OptCAFile: e.ca}), apiReq)
		_, err := c.API().Do(ctx, sdk.APIRequest{Path: "/api/v1/system"})
		creationErr(t, err, false)
	})
	t.Run("auth none sees the 401", func(t *testing.T) {
		c := e.open(t, device(t, d.HTTPSAddr(), map[string]string{OptCAFile: e.ca, OptAuth: "none"}), apiReq)
		r, err := c.API().Do(ctx, sdk.APIRequest{Path: "/api/v1/system"})
		if err != nil || r.Status != 401 {
			t.Fatalf("want a 401 response, got %v %d", err, r.Status)
		}
	})
	t.Run("token wrong password", func(t *testing.T) {
		_, err := e.host.Open(ctx, wrong(map[string]string{OptCAFile: e.ca, OptAuth: "token"}), apiReq)
		creationErr(t, err, false)
	})
	t.Run("token expiry and re-login", func(t *testing.T) {
		c := e.open(t, device(t, d.HTTPSAddr(), map[string]string{OptCAFile: e.ca, OptAuth: "token"}), apiReq)
		logins := d.Stats().Logins
		get := func() sdk.APIResponse {
			r, err := c.API().Do(ctx, sdk.APIRequest{Path: "/api/v1/interfaces"})
			if err != nil || r.Status != 200 {
				t.Fatalf("GET: %v %d %s", err, r.Status, r.Body)
			}
			return r
		}
		get()
		if n := d.Stats().Logins; n != logins {
			t.Fatalf("a live token must be reused: %d logins, want %d", n, logins)
		}
		time.Sleep(400 * time.Millisecond) // past TokenTTL
		if r := get(); r.Attempts != 2 {
			t.Fatalf("after expiry: %d attempts, want 2 (401, then the request again)", r.Attempts)
		}
		if n := d.Stats().Logins; n != logins+1 {
			t.Fatalf("after expiry: %d logins, want %d", n, logins+1)
		}
		// Credentials revoked: the re-login fails, and that is final.
		time.Sleep(400 * time.Millisecond)
		d.SetFaults(sim.Faults{AuthFail: true})
		defer d.SetFaults(sim.Faults{})
		_, err := c.API().Do(ctx, sdk.APIRequest{Path: "/api/v1/interfaces"})
		creationErr(t, err, false)
	})
	if strings.Contains(e.logs.String(), "Bearer ") {
		t.Errorf("a bearer token appears in the host log")
	}
}

func TestRetries(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	cases := []struct {
		name     string
		faults   sim.Faults
		opts     map[string]string
		req      sdk.APIRequest
		status   int
		attempts int
	}{
		{"GET retried after Retry-After", sim.Faults{HTTPErrors: 1}, nil,
			sdk.APIRequest{Path: "/api/v1/system"}, 200, 2},
		{"429 retried", sim.Faults{HTTPErrors: 1, HTTPErrorStatus: 429}, nil,
			sdk.APIRequest{Path: "/api/v1/system"}, 200, 2},
		{"bounded by retries", sim.Faults{HTTPErrors: 5}, map[string]string{OptRetries: "1"},
			sdk.APIRequest{Path: "/api/v1/system"}, 503, 2},
		{"Retry-After over retry_max_wait", sim.Faults{HTTPErrors: 1}, map[string]string{OptRetryMaxWait: "500ms"},
			sdk.APIRequest{Path: "/api/v1/system"}, 503, 1},
		{"POST not retried", sim.Faults{HTTPErrors: 1}, nil,
			sdk.APIRequest{Method: "POST", Path: "/api/v1/interfaces", Body: []byte(`{"name":"Loopback7"}`)}, 503, 1},
		{"POST retried when allowed", sim.Faults{HTTPErrors: 1}, nil,
			sdk.APIRequest{Method: "POST", Path: "/api/v1/interfaces", Body: []byte(`{"name":"Loopback7"}`), RetryUnsafe: true}, 201, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := e.addDevice(t, sim.DeviceSpec{})
			opts := map[string]string{OptScheme: "http"}
			for k, v := range tc.opts {
				opts[k] = v
			}
			c := e.open(t, device(t, d.HTTPAddr(), opts), apiReq)
			d.SetFaults(tc.faults)
			r, err := c.API().Do(ctx, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tc.status || r.Attempts != tc.attempts {
				t.Fatalf("status %d after %d attempts, want %d after %d", r.Status, r.Attempts, tc.status, tc.attempts)
			}
			if tc.attempts > 1 && r.Elapsed < 900*time.Millisecond {
				t.Fatalf("Retry-After: 1 was not honoured: elapsed %v", r.Elapsed)
			}
		})
	}
}

func TestTimeoutIsRetryable(t *testing.T) {
	e := newEnv(t)
	d := e.addDevice(t, sim.DeviceSpec{})
	c := e.open(t, device(t, d.HTTPAddr(), map[string]string{OptScheme: "http"}), apiReq)
	d.SetFaults(sim.Faults{Latency: 3 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.API().Do(ctx, sdk.APIRequest{Path: "/api/v1/system"})
	if host.Kind(err) != "operation" || !host.Retryable(err) {
		t.Fatalf("want a retryable operation error, got %v", err)
	}
}

// TestLargeResponse reads 64 MiB through the plugin: the sim's API has no
// big document, so an httptest server serves one.
func TestLargeResponse(t *testing.T) {
	e := newEnv(t)
	const size = 64 << 20
	chunk := bytes.Repeat([]byte("interface GigabitEthernet0/0\n description filler\n!\n"), 1024)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "netops" || p != password {
			w.WriteHeader(401)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		if r.URL.Query().Get("chunked") == "" {
			w.Header().Set("Content-Length", strconv.Itoa(size))
		}
		for n := 0; n < size; {
			b := chunk[:min(len(chunk), size-n)]
			if _, err := w.Write(b); err != nil {
				return
			}
			n += len(b)
		}
	}))
	defer srv.Close()
	want := func() [32]byte {
		h := sha256.New()
		for n := 0; n < size; {
			b := chunk[:min(len(chunk), size-n)]
			h.Write(b)
			n += len(b)
		}
		var s [32]byte
		copy(s[:], h.Sum(nil))
		return s
	}()
	addr := strings.TrimPrefix(srv.URL, "http://")
	c := e.open(t, device(t, addr, map[string]string{OptScheme: "http"}), apiReq)
	for _, q := range []string{"", "1"} {
		r, err := c.API().Do(ctxT(t), sdk.APIRequest{Path: "/big", Query: []sdk.Header{{Name: "chunked", Value: q}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Body) != size || sha256.Sum256(r.Body) != want {
			t.Fatalf("chunked=%q: got %d bytes, want %d intact", q, len(r.Body), size)
		}
	}
	small := e.open(t, device(t, addr, map[string]string{OptScheme: "http", OptMaxResponse: "1048576"}), apiReq)
	if _, err := small.API().Do(ctxT(t), sdk.APIRequest{Path: "/big"}); host.Kind(err) != "operation" || host.Retryable(err) ||
		!strings.Contains(err.Error(), "too large") {
		t.Fatalf("over max_response: want a non-retryable operation error, got %v", err)
	}
}

// restconfAddr is the device's RESTCONF over HTTPS, or, while the sim does
// not route /restconf yet, the sim's own RESTCONF handler over the same
// datastore behind basic auth on a plain httptest server.
func restconfAddr(t *testing.T, e *env, d *sim.Device) (addr string, opts map[string]string) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+d.HTTPAddr()+"/.well-known/host-meta", nil)
	req.SetBasicAuth("netops", password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	http.DefaultClient.CloseIdleConnections()
	if resp.StatusCode == 200 {
		return d.HTTPSAddr(), map[string]string{OptCAFile: e.ca}
	}
	t.Logf("the sim does not serve RESTCONF yet (host-meta: %d); using sim/restconf over the device's store", resp.StatusCode)
	h := restconf.Handler(d.Store())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "netops" || p != password {
			w.WriteHeader(401)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), map[string]string{OptScheme: "http"}
}

// storeInterfaces is the NETCONF view: interface name -> description in
// the running datastore, as get-config returns it.
func storeInterfaces(t *testing.T, d *sim.Device) map[string]string {
	t.Helper()
	nodes, err := d.Store().GetConfig(datastore.Running, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, n := range nodes {
		if n.Local != "interfaces" {
			continue
		}
		for _, i := range n.Children {
			if i.Local == "interface" {
				out[i.ChildText("name")] = i.ChildText("description")
			}
		}
	}
	return out
}

func restconfInterfaces(t *testing.T, body []byte) map[string]string {
	t.Helper()
	var doc struct {
		Interfaces struct {
			Interface []struct {
				Name        string `json:"name"`
				Description string `json:"description"`
			} `json:"interface"`
		} `json:"ietf-interfaces:interfaces"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("interfaces JSON: %v: %s", err, body)
	}
	out := map[string]string{}
	for _, i := range doc.Interfaces.Interface {
		out[i.Name] = i.Description
	}
	return out
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestRESTCONF(t *testing.T) {
	e := newEnv(t)
	d := e.addDevice(t, sim.DeviceSpec{})
	addr, opts := restconfAddr(t, e, d)
	c := e.open(t, device(t, addr, opts), restconfReq)
	rc := c.RESTCONF()
	ctx := ctxT(t)

	r, err := rc.Get(ctx, "ietf-interfaces:interfaces")
	if err != nil || r.Status != 200 {
		t.Fatalf("GET interfaces: %v %d %s", err, r.Status, r.Body)
	}
	if got, want := restconfInterfaces(t, r.Body), storeInterfaces(t, d); !sameMap(got, want) || len(want) == 0 {
		t.Fatalf("RESTCONF %v != NETCONF view %v", got, want)
	}

	put := `{"ietf-interfaces:interface":[{"name":"eth9","description":"from restconf","type":"iana-if-type:ethernetCsmacd","enabled":true}]}`
	if r, err := rc.Put(ctx, "ietf-interfaces:interfaces/interface=eth9", []byte(put)); err != nil || r.Status != 201 {
		t.Fatalf("PUT: %v %d %s %+v", err, r.Status, r.Body, r.Errors)
	}
	patch := `{"ietf-interfaces:interface":[{"name":"eth9","description":"patched"}]}`
	if r, err := rc.Patch(ctx, "/restconf/data/ietf-interfaces:interfaces/interface=eth9", []byte(patch)); err != nil || r.Status != 204 {
		t.Fatalf("PATCH (full path): %v %d %s %+v", err, r.Status, r.Body, r.Errors)
	}
	if got := storeInterfaces(t, d)["eth9"]; got != "patched" {
		t.Fatalf("NETCONF view of eth9: description %q, want patched", got)
	}

	x, err := rc.Do(ctx, sdk.RestconfRequest{Method: "GET", Path: "ietf-interfaces:interfaces/interface=eth9", Encoding: "xml"})
	if err != nil || x.Status != 200 || !strings.Contains(string(x.Body), "<description>patched</description>") ||
		!strings.Contains(headerOf(x.Headers, "Content-Type"), "yang-data+xml") {
		t.Fatalf("GET xml: %v %d %s", err, x.Status, x.Body)
	}

	// Errors are responses with RFC 8040 errors parsed, not Go errors.
	dup, err := rc.Post(ctx, "ietf-interfaces:interfaces", []byte(`{"ietf-interfaces:interface":[{"name":"eth9","type":"iana-if-type:ethernetCsmacd"}]}`))
	if err != nil || dup.Status != 409 || len(dup.Errors) == 0 || dup.Errors[0].Tag != "data-exists" {
		t.Fatalf("POST existing: %v %d %+v", err, dup.Status, dup.Errors)
	}
	if r, err := rc.Delete(ctx, "ietf-interfaces:interfaces/interface=eth9"); err != nil || r.Status != 204 {
		t.Fatalf("DELETE: %v %d %s", err, r.Status, r.Body)
	}
	if _, ok := storeInterfaces(t, d)["eth9"]; ok {
		t.Fatal("eth9 still in the NETCONF view after DELETE")
	}
	for _, enc := range []string{"json", "xml"} {
		miss, err := rc.Do(ctx, sdk.RestconfRequest{Method: "GET", Path: "ietf-interfaces:interfaces/interface=eth9", Encoding: enc})
		if err != nil || miss.Status != 404 || len(miss.Errors) != 1 || miss.Errors[0].Type == "" || miss.Errors[0].Tag == "" {
			t.Fatalf("GET deleted (%s): %v %d %+v", enc, err, miss.Status, miss.Errors)
		}
	}

	info, err := c.DeviceInfo().GetVersion(ctx)
	if err != nil || info.Hostname != d.Hostname() {
		t.Fatalf("device_info over restconf: %v %+v", err, info)
	}
	if _, err := c.API().Do(ctx, sdk.APIRequest{Path: "/"}); host.Kind(err) != "not_implemented" {
		t.Fatalf("api on a restconf connection: want not_implemented, got %v", err)
	}
}

func headerOf(hs []sdk.Header, name string) string {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// TestRESTCONFRetries puts a 503-once front on the sim's RESTCONF handler,
// so that it does not depend on how the sim routes faults to /restconf.
func TestRESTCONFRetries(t *testing.T) {
	e := newEnv(t)
	d := e.addDevice(t, sim.DeviceSpec{})
	var mu sync.Mutex
	fail := 0
	h := restconf.Handler(d.Store())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		busy := fail > 0
		if busy {
			fail--
		}
		mu.Unlock()
		if busy {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	failNext := func(n int) { mu.Lock(); fail = n; mu.Unlock() }
	c := e.open(t, device(t, strings.TrimPrefix(srv.URL, "http://"), map[string]string{OptScheme: "http"}), restconfReq)
	ctx := ctxT(t)

	failNext(1)
	if r, err := c.RESTCONF().Put(ctx, "ietf-system:system/contact", []byte(`{"ietf-system:contact":"noc"}`)); err != nil || r.Status >= 300 {
		t.Fatalf("PUT after one 503: %v %d %s", err, r.Status, r.Body)
	}
	failNext(1)
	r, err := c.RESTCONF().Patch(ctx, "ietf-system:system", []byte(`{"ietf-system:system":{"contact":"x"}}`))
	if err != nil || r.Status != 503 || len(r.Errors) != 1 || r.Errors[0].Tag != "resource-denied" || !strings.Contains(r.Errors[0].Message, "busy") {
		t.Fatalf("PATCH is not retried; want the 503 with an error made from the status: %v %d %+v", err, r.Status, r.Errors)
	}
}

// BenchmarkAPIGet is one GET through host, plugin and a keep-alive
// connection to the sim.
func BenchmarkAPIGet(b *testing.B) {
	s, err := sim.New(sim.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	d, err := s.Add(context.Background(), sim.DeviceSpec{Name: "bench", HTTP: true, Password: password})
	if err != nil {
		b.Fatal(err)
	}
	h, err := host.New(host.Config{PluginDirs: []string{testenv.PluginDir(b, "httpx-api")}})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	hp, p, _ := net.SplitHostPort(d.HTTPAddr())
	port, _ := strconv.Atoi(p)
	ctx := context.Background()
	c, err := h.Open(ctx, host.Device{ID: "bench", Platform: "cisco_iosxe", Host: hp, Port: port, Username: "netops",
		Password: password, Options: map[string]string{OptScheme: "http"}}, apiReq)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.ResetTimer()
	for b.Loop() {
		if r, err := c.API().Do(ctx, sdk.APIRequest{Path: "/api/v1/system"}); err != nil || r.Status != 200 {
			b.Fatal(err, r.Status)
		}
	}
}
