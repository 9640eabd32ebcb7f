package restconf

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/netyard/netyard/internal/rfc6242"
	"github.com/netyard/netyard/sim/datastore"
	"github.com/netyard/netyard/sim/netconf"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type resp struct {
	code int
	hdr  http.Header
	body string
}

func do(t *testing.T, ts *httptest.Server, method, path, ctype, accept, body string) resp {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	res, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, string(b)}
}

func newServer(t *testing.T) (*httptest.Server, *datastore.Store) {
	store := datastore.NewDefault("r1")
	ts := httptest.NewServer(Handler(store))
	t.Cleanup(ts.Close)
	return ts, store
}

const ifPath = "/restconf/data/ietf-interfaces:interfaces"

func TestRESTCONF(t *testing.T) {
	ts, _ := newServer(t)
	steps := []struct {
		name, method, path, ctype, accept, body string
		code                                    int
		contains                                []string
		absent                                  []string
	}{
		{name: "host-meta", method: "GET", path: "/.well-known/host-meta", code: 200,
			contains: []string{"<Link rel='restconf' href='/restconf'/>"}},
		{name: "root", method: "GET", path: "/restconf", code: 200, contains: []string{`"ietf-restconf:restconf"`, `"yang-library-version"`}},
		{name: "operations", method: "GET", path: "/restconf/operations", code: 200, contains: []string{`"ietf-restconf:operations"`}},
		{name: "whole datastore", method: "GET", path: "/restconf/data", code: 200,
			contains: []string{`{"ietf-restconf:data":{"ietf-interfaces:interfaces":`, `"ietf-system:system":{"hostname":"r1"`}},
		{name: "interfaces", method: "GET", path: ifPath, code: 200,
			contains: []string{`{"ietf-interfaces:interfaces":{"interface":[{"name":"eth0"`, `"enabled":true`,
				`"type":"iana-if-type:ethernetCsmacd"`, `"ietf-ip:ipv4":{"address":[{"ip":"192.0.2.1","prefix-length":24}]}`}},
		{name: "one entry", method: "GET", path: ifPath + "/interface=eth0", code: 200,
			contains: []string{`{"ietf-interfaces:interface":[{"name":"eth0"`}, absent: []string{"eth1"}},
		{name: "leaf", method: "GET", path: ifPath + "/interface=eth0/description", code: 200,
			contains: []string{`{"ietf-interfaces:description":"uplink"}`}},
		{name: "depth", method: "GET", path: ifPath + "?depth=2", code: 200,
			contains: []string{`"interface":[{},{},{}]`}},
		{name: "xml", method: "GET", path: ifPath + "/interface=eth0", accept: MediaXML, code: 200,
			contains: []string{`<interface xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><name>eth0</name>`,
				`<type xmlns:iana-if-type="urn:ietf:params:xml:ns:yang:iana-if-type">iana-if-type:ethernetCsmacd</type>`}},
		{name: "missing entry", method: "GET", path: ifPath + "/interface=nope", code: 404,
			contains: []string{`"ietf-restconf:errors"`, `"error-tag":"data-missing"`}},
		{name: "unknown module", method: "GET", path: "/restconf/data/nope:x", code: 400, contains: []string{`"error-type":"application"`}},
		{name: "unqualified top", method: "GET", path: "/restconf/data/interfaces", code: 400, contains: []string{`"error-tag":"invalid-value"`}},
		{name: "bad query", method: "GET", path: ifPath + "?frob=1", code: 400},
		{name: "post create", method: "POST", path: ifPath, ctype: MediaJSON, code: 201,
			body: `{"ietf-interfaces:interface":[{"name":"eth5","type":"iana-if-type:ethernetCsmacd","enabled":false}]}`},
		{name: "post exists", method: "POST", path: ifPath, ctype: MediaJSON, code: 409,
			body:     `{"ietf-interfaces:interface":{"name":"eth5","type":"iana-if-type:ethernetCsmacd"}}`,
			contains: []string{`"error-tag":"data-exists"`}},
		{name: "get created", method: "GET", path: ifPath + "/interface=eth5", code: 200, contains: []string{`"enabled":false`}},
		{name: "patch merge", method: "PATCH", path: ifPath + "/interface=eth5", ctype: MediaJSON, code: 204,
			body: `{"ietf-interfaces:interface":[{"name":"eth5","description":"patched"}]}`},
		{name: "patch kept type", method: "GET", path: ifPath + "/interface=eth5", code: 200,
			contains: []string{`"description":"patched"`, `"type":"iana-if-type:ethernetCsmacd"`}},
		{name: "patch missing", method: "PATCH", path: ifPath + "/interface=eth7", ctype: MediaJSON, code: 404,
			body: `{"ietf-interfaces:interface":[{"name":"eth7","description":"x"}]}`},
		{name: "put replace", method: "PUT", path: ifPath + "/interface=eth5", ctype: MediaJSON, code: 204,
			body: `{"ietf-interfaces:interface":[{"name":"eth5","type":"iana-if-type:other"}]}`},
		{name: "put replaced", method: "GET", path: ifPath + "/interface=eth5", code: 200,
			contains: []string{`"type":"iana-if-type:other"`}, absent: []string{"patched"}},
		{name: "put create", method: "PUT", path: ifPath + "/interface=eth6", ctype: MediaJSON, code: 201,
			body: `{"ietf-interfaces:interface":[{"name":"eth6","type":"iana-if-type:other"}]}`},
		{name: "put key mismatch", method: "PUT", path: ifPath + "/interface=eth6", ctype: MediaJSON, code: 400,
			body: `{"ietf-interfaces:interface":[{"name":"eth9","type":"iana-if-type:other"}]}`},
		{name: "put invalid", method: "PUT", path: ifPath + "/interface=eth6", ctype: MediaJSON, code: 400,
			body:     `{"ietf-interfaces:interface":[{"name":"eth6","type":"iana-if-type:other","enabled":"maybe"}]}`,
			contains: []string{`"error-tag":"invalid-value"`}},
		{name: "put xml", method: "PUT", path: ifPath + "/interface=eth6", ctype: MediaXML, code: 204,
			body: `<interface xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ift="urn:ietf:params:xml:ns:yang:iana-if-type"><name>eth6</name><type>ift:softwareLoopback</type><description>from-xml</description></interface>`},
		{name: "xml visible as json", method: "GET", path: ifPath + "/interface=eth6", code: 200,
			contains: []string{`"type":"iana-if-type:softwareLoopback"`, `"description":"from-xml"`}},
		{name: "malformed json", method: "PATCH", path: ifPath + "/interface=eth6", ctype: MediaJSON, body: `{"x":`, code: 400,
			contains: []string{`"error-tag":"malformed-message"`}},
		{name: "unsupported media", method: "PUT", path: ifPath + "/interface=eth6", ctype: "text/plain", body: "x", code: 415},
		{name: "delete", method: "DELETE", path: ifPath + "/interface=eth5", code: 204},
		{name: "delete missing", method: "DELETE", path: ifPath + "/interface=eth5", code: 404,
			contains: []string{`"error-tag":"data-missing"`}},
		{name: "xml error body", method: "DELETE", path: ifPath + "/interface=eth5", accept: MediaXML, code: 404,
			contains: []string{`<errors xmlns="urn:ietf:params:xml:ns:yang:ietf-restconf"><error><error-type>application</error-type><error-tag>data-missing</error-tag>`}},
		{name: "escaped key", method: "PUT", path: ifPath + "/interface=ge-0%2F0%2F1", ctype: MediaJSON, code: 201,
			body: `{"ietf-interfaces:interface":[{"name":"ge-0/0/1","type":"iana-if-type:other"}]}`},
		{name: "escaped key get", method: "GET", path: ifPath + "/interface=ge-0%2F0%2F1", code: 200, contains: []string{`"name":"ge-0/0/1"`}},
		{name: "method", method: "TRACE", path: "/restconf", code: 405},
		{name: "not found", method: "GET", path: "/restconf/nope", code: 404},
	}
	for _, s := range steps {
		r := do(t, ts, s.method, s.path, s.ctype, s.accept, s.body)
		if r.code != s.code {
			t.Fatalf("%s: status %d, want %d: %s", s.name, r.code, s.code, r.body)
		}
		for _, c := range s.contains {
			if !strings.Contains(r.body, c) {
				t.Fatalf("%s: body lacks %s:\n%s", s.name, c, r.body)
			}
		}
		for _, c := range s.absent {
			if strings.Contains(r.body, c) {
				t.Fatalf("%s: body has %s:\n%s", s.name, c, r.body)
			}
		}
		if r.code >= 400 && s.method != "HEAD" && !strings.Contains(r.body, "ietf-restconf:errors") && !strings.Contains(r.body, "<errors") {
			t.Fatalf("%s: error without RFC 8040 body: %s", s.name, r.body)
		}
	}
	// The error body is valid JSON of the RFC 8040 shape.
	r := do(t, ts, "GET", ifPath+"/interface=nope", "", "", "")
	var eb struct {
		Errors struct {
			Error []struct {
				Type string `json:"error-type"`
				Tag  string `json:"error-tag"`
			} `json:"error"`
		} `json:"ietf-restconf:errors"`
	}
	if err := json.Unmarshal([]byte(r.body), &eb); err != nil || len(eb.Errors.Error) != 1 || eb.Errors.Error[0].Tag != "data-missing" {
		t.Fatalf("error body %s: %v", r.body, err)
	}
	if r := do(t, ts, "POST", ifPath, MediaJSON, "", `{"ietf-interfaces:interface":[{"name":"x/y","type":"iana-if-type:other"}]}`); r.hdr.Get("Location") != ifPath+"/interface=x%2Fy" {
		t.Fatalf("Location %q", r.hdr.Get("Location"))
	}
}

// ncClient is a bare NETCONF client over net.Pipe to a netconf.Server on the
// same store, for cross-protocol checks.
type ncClient struct {
	t   *testing.T
	enc *rfc6242.Encoder
	dec *rfc6242.Decoder
	id  int
}

func startNETCONF(t *testing.T, store *datastore.Store) *ncClient {
	a, b := net.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = netconf.NewServer(store).ServeSession(ctx, b, netconf.Options{}, nil)
	}()
	t.Cleanup(func() { cancel(); a.Close(); <-done })
	c := &ncClient{t: t, enc: rfc6242.NewEncoder(a), dec: rfc6242.NewDecoder(a)}
	if _, err := c.dec.Decode(); err != nil {
		t.Fatal(err)
	}
	if err := c.enc.Encode([]byte(`<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities><capability>urn:ietf:params:netconf:base:1.1</capability></capabilities></hello>`)); err != nil {
		t.Fatal(err)
	}
	c.enc.SetFraming(rfc6242.Chunked)
	c.dec.SetFraming(rfc6242.Chunked)
	return c
}

func (c *ncClient) rpc(op string) string {
	c.t.Helper()
	c.id++
	if err := c.enc.Encode(fmt.Appendf(nil, `<rpc message-id="%d" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">%s</rpc>`, c.id, op)); err != nil {
		c.t.Fatal(err)
	}
	m, err := c.dec.Decode()
	if err != nil {
		c.t.Fatal(err)
	}
	return string(m)
}

func TestCrossProtocol(t *testing.T) {
	ts, store := newServer(t)
	nc := startNETCONF(t, store)

	// RESTCONF edit, NETCONF read.
	if r := do(t, ts, "PATCH", ifPath+"/interface=eth0", MediaJSON, "", `{"ietf-interfaces:interface":[{"name":"eth0","description":"via-restconf"}]}`); r.code != 204 {
		t.Fatalf("patch: %d %s", r.code, r.body)
	}
	if got := nc.rpc(`<get-config><source><running/></source></get-config>`); !strings.Contains(got, "<description>via-restconf</description>") {
		t.Fatalf("NETCONF does not see the RESTCONF edit: %s", got)
	}
	// NETCONF edit, RESTCONF read.
	got := nc.rpc(`<edit-config><target><running/></target><config><interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces">` +
		`<interface><name>eth1</name><description>via-netconf</description></interface></interfaces></config></edit-config>`)
	if !strings.Contains(got, "<ok/>") {
		t.Fatal(got)
	}
	if r := do(t, ts, "GET", ifPath+"/interface=eth1/description", "", "", ""); !strings.Contains(r.body, "via-netconf") {
		t.Fatalf("RESTCONF does not see the NETCONF edit: %s", r.body)
	}
	// A NETCONF lock on running blocks RESTCONF writes with 409 in-use.
	if got := nc.rpc(`<lock><target><running/></target></lock>`); !strings.Contains(got, "<ok/>") {
		t.Fatal(got)
	}
	r := do(t, ts, "DELETE", ifPath+"/interface=eth1", "", "", "")
	if r.code != 409 || !strings.Contains(r.body, `"error-tag":"in-use"`) {
		t.Fatalf("write under lock: %d %s", r.code, r.body)
	}
	nc.rpc(`<unlock><target><running/></target></unlock>`)
	if r := do(t, ts, "DELETE", ifPath+"/interface=eth1", "", "", ""); r.code != 204 {
		t.Fatalf("delete after unlock: %d %s", r.code, r.body)
	}
}

// TestCurl checks the handler against curl as a real HTTP client.
func TestCurl(t *testing.T) {
	if _, err := os.Stat("/usr/bin/curl"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("curl missing (apt-get install -y curl)")
		}
		t.Skip("curl missing")
	}
	ts, _ := newServer(t)
	curl := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("/usr/bin/curl", append([]string{"-sS", "-w", "\n%{http_code}"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("curl %v: %v %s", args, err, out)
		}
		return string(out)
	}
	if out := curl("-H", "Accept: "+MediaJSON, ts.URL+ifPath+"/interface=eth0"); !strings.HasSuffix(out, "\n200") || !strings.Contains(out, `"name":"eth0"`) {
		t.Fatalf("GET: %s", out)
	}
	if out := curl("-X", "PUT", "-H", "Content-Type: "+MediaJSON, "--data-binary",
		`{"ietf-interfaces:interface":[{"name":"eth8","type":"iana-if-type:other"}]}`, ts.URL+ifPath+"/interface=eth8"); !strings.HasSuffix(out, "\n201") {
		t.Fatalf("PUT: %s", out)
	}
	if out := curl("-X", "POST", "-H", "Content-Type: "+MediaXML, "--data-binary",
		`<interface xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><name>eth8</name><type xmlns:t="urn:ietf:params:xml:ns:yang:iana-if-type">t:other</type></interface>`,
		ts.URL+ifPath); !strings.HasSuffix(out, "\n409") || !strings.Contains(out, "data-exists") {
		t.Fatalf("POST existing: %s", out)
	}
	if out := curl("-H", "Accept: "+MediaXML, ts.URL+ifPath+"/interface=eth8"); !strings.HasSuffix(out, "\n200") || !strings.Contains(out, "<name>eth8</name>") {
		t.Fatalf("GET xml: %s", out)
	}
	if out := curl("-X", "DELETE", ts.URL+ifPath+"/interface=eth8"); !strings.HasSuffix(out, "\n204") {
		t.Fatalf("DELETE: %s", out)
	}
	if out := curl(ts.URL + "/.well-known/host-meta"); !strings.Contains(out, "href='/restconf'") {
		t.Fatalf("host-meta: %s", out)
	}
}
