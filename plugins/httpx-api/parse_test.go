package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/netyard/netyard/sdk"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"3", 3 * time.Second, true},
		{"-1", 0, true},
		{now.Add(5 * time.Second).Format(http.TimeFormat), 5 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"soon", 0, false},
	} {
		got, ok := retryAfter(http.Header{"Retry-After": {tc.v}}, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Retry-After %q: %v %v, want %v %v", tc.v, got, ok, tc.want, tc.ok)
		}
	}
}

func TestRestconfErrors(t *testing.T) {
	js := `{"ietf-restconf:errors":{"error":[{"error-type":"application","error-tag":"data-missing","error-path":"/ietf-interfaces:interfaces/interface[name='x']","error-message":"gone","error-info":{"bad-element":"x"}}]}}`
	xmlBody := `<errors xmlns="urn:ietf:params:xml:ns:yang:ietf-restconf"><error><error-type>protocol</error-type><error-tag>in-use</error-tag><error-message>locked</error-message><error-info><session-id>7</session-id></error-info></error></errors>`
	for _, tc := range []struct {
		name, ct, body string
		status         int
		want           sdk.RestconfError
	}{
		{"json", mediaYangJSON, js, 404, sdk.RestconfError{Type: "application", Tag: "data-missing", Path: "/ietf-interfaces:interfaces/interface[name='x']", Message: "gone", Info: `{"bad-element":"x"}`}},
		{"xml", mediaYangXML, xmlBody, 409, sdk.RestconfError{Type: "protocol", Tag: "in-use", Message: "locked", Info: "<session-id>7</session-id>"}},
		{"no body", "", "", 405, sdk.RestconfError{Type: "protocol", Tag: "operation-not-supported", Message: "HTTP 405 Method Not Allowed"}},
		{"html", "text/html", "<html>oops</html>", 500, sdk.RestconfError{Type: "protocol", Tag: "operation-failed", Message: "HTTP 500 Internal Server Error: <html>oops</html>"}},
	} {
		got := restconfErrors(tc.status, tc.ct, []byte(tc.body))
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestHostMetaRoot(t *testing.T) {
	for body, want := range map[string]string{
		`<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'><Link rel='restconf' href='/top/restconf'/></XRD>`: "/top/restconf",
		`<XRD><Link rel='lrdd' href='/x'/><Link rel='restconf' href='https://elsewhere.example/rc/'/></XRD>`:       "/rc",
		`<XRD><Link rel='lrdd' href='/x'/></XRD>`: "",
		`not xml`: "",
	} {
		if got, _ := hostMetaRoot([]byte(body)); got != want {
			t.Errorf("%s: %q, want %q", body, got, want)
		}
	}
}

func TestDataPath(t *testing.T) {
	s := &session{root: "/restconf"}
	for in, want := range map[string]string{
		"":                                  "/data",
		"ietf-system:system":                "/data/ietf-system:system",
		"/ietf-system:system":               "/data/ietf-system:system",
		"/restconf/data/ietf-system:system": "/data/ietf-system:system",
		"restconf/data":                     "/data",
		"data/ietf-system:system":           "/data/ietf-system:system",
	} {
		if got := s.dataPath(in); got != want {
			t.Errorf("dataPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseOptions(t *testing.T) {
	dev := sdk.Device{ID: "d", Host: "h", Options: map[string]string{"transport": "ssh", OptRetries: "3", OptScheme: "HTTP"}}
	o, unknown, err := parseOptions(dev)
	if err != nil || o.retries != 3 || o.scheme != "http" || len(unknown) != 1 || unknown[0] != "transport" {
		t.Fatalf("%+v %v %v", o, unknown, err)
	}
	if o.hostPort(dev) != "h:80" {
		t.Fatalf("default http port: %s", o.hostPort(dev))
	}
	dev.Options = map[string]string{OptScheme: "http", OptInsecure: "true", OptRetryMaxWait: "forever", OptBasePath: "api"}
	if _, _, err := parseOptions(dev); err == nil {
		t.Fatal("contradictory and malformed options accepted")
	} else {
		for _, k := range []string{OptScheme, OptRetryMaxWait, OptBasePath} {
			if !contains(err.Error(), k) {
				t.Errorf("error does not name %s: %v", k, err)
			}
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
