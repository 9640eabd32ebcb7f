package sim

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func doJSON(t *testing.T, c *http.Client, method, url string, body any, auth func(*http.Request)) (int, map[string]any, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	if auth != nil {
		auth(req)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s %s: body is not JSON: %q", method, url, b)
		}
	}
	return resp.StatusCode, m, resp.Header
}

func basic(r *http.Request) { r.SetBasicAuth("netops", "netops") }
func bearer(tok string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

func TestHTTPAPI(t *testing.T) {
	s := newTestSim(t, DeviceSpec{Name: "e1", Platform: "arista_eos", HTTP: true, HTTPS: true, TokenTTL: 300 * time.Millisecond, Serial: "SN-XYZ"})
	d := s.Device("e1")
	c := &http.Client{Timeout: 5 * time.Second}
	defer c.CloseIdleConnections()
	base := "http://" + d.HTTPAddr()

	code, m, h := doJSON(t, c, "GET", base+"/api/v1/system", nil, nil)
	if code != 401 || m["error"] != "unauthorized" || h.Get("WWW-Authenticate") == "" {
		t.Fatalf("no auth: %d %v", code, m)
	}
	code, m, _ = doJSON(t, c, "GET", base+"/api/v1/system", nil, basic)
	if code != 200 || m["serial"] != "SN-XYZ" || m["hostname"] != "e1" || m["platform"] != "arista_eos" || m["vendor"] != "Arista" {
		t.Fatalf("system: %d %v", code, m)
	}
	code, _, _ = doJSON(t, c, "GET", base+"/api/v1/system", nil, func(r *http.Request) { r.SetBasicAuth("netops", "wrong") })
	if code != 401 {
		t.Fatalf("wrong password: %d", code)
	}

	code, m, _ = doJSON(t, c, "POST", base+"/api/v1/login", map[string]string{"username": "netops", "password": "netops"}, nil)
	tok, _ := m["token"].(string)
	if code != 200 || tok == "" || m["expires_in"] == nil {
		t.Fatalf("login: %d %v", code, m)
	}
	if code, _, _ = doJSON(t, c, "GET", base+"/api/v1/interfaces", nil, bearer(tok)); code != 200 {
		t.Fatalf("bearer: %d", code)
	}

	// CRUD; interface names contain slashes.
	code, _, _ = doJSON(t, c, "POST", base+"/api/v1/interfaces", map[string]any{"name": "Ethernet4/1", "description": "new"}, bearer(tok))
	if code != 201 {
		t.Fatalf("create: %d", code)
	}
	if code, _, _ = doJSON(t, c, "POST", base+"/api/v1/interfaces", map[string]any{"name": "Ethernet4/1"}, bearer(tok)); code != 409 {
		t.Fatalf("duplicate create: %d", code)
	}
	code, m, _ = doJSON(t, c, "PATCH", base+"/api/v1/interfaces/Ethernet4/1", map[string]any{"enabled": false}, bearer(tok))
	if code != 200 || m["enabled"] != false || m["description"] != "new" {
		t.Fatalf("patch: %d %v", code, m)
	}
	code, m, _ = doJSON(t, c, "PUT", base+"/api/v1/interfaces/Ethernet4%2F1", map[string]any{"description": "put", "mtu": 9000}, bearer(tok))
	if code != 200 || m["description"] != "put" || m["mtu"] != float64(9000) {
		t.Fatalf("put: %d %v", code, m)
	}
	if code, m, _ = doJSON(t, c, "GET", base+"/api/v1/interfaces/Ethernet4/1", nil, basic); code != 200 || m["name"] != "Ethernet4/1" {
		t.Fatalf("get: %d %v", code, m)
	}
	if code, _, _ = doJSON(t, c, "DELETE", base+"/api/v1/interfaces/Ethernet4/1", nil, basic); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if code, _, _ = doJSON(t, c, "GET", base+"/api/v1/interfaces/Ethernet4/1", nil, basic); code != 404 {
		t.Fatalf("get deleted: %d", code)
	}

	// Token expiry.
	time.Sleep(400 * time.Millisecond)
	code, m, _ = doJSON(t, c, "GET", base+"/api/v1/system", nil, bearer(tok))
	if code != 401 || m["message"] != "token expired" {
		t.Fatalf("expired token: %d %v", code, m)
	}

	// Retry-After fault.
	d.SetFaults(Faults{HTTPErrors: 2})
	for i := 0; i < 2; i++ {
		code, _, h := doJSON(t, c, "GET", base+"/api/v1/system", nil, basic)
		if code != 503 || h.Get("Retry-After") != "1" {
			t.Fatalf("fault %d: %d %v", i, code, h)
		}
	}
	if code, _, _ = doJSON(t, c, "GET", base+"/api/v1/system", nil, basic); code != 200 {
		t.Fatalf("after faults: %d", code)
	}
	d.SetFaults(Faults{HTTPErrors: 1, HTTPErrorStatus: 429})
	if code, _, _ = doJSON(t, c, "GET", base+"/api/v1/system", nil, basic); code != 429 {
		t.Fatalf("429 fault: %d", code)
	}
	d.SetFaults(Faults{AuthFail: true})
	if code, _, _ = doJSON(t, c, "GET", base+"/api/v1/system", nil, basic); code != 401 {
		t.Fatalf("auth fail: %d", code)
	}
	d.SetFaults(Faults{})

	// HTTPS with the Sim's CA.
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.CACertPEM()) {
		t.Fatal("bad CA PEM")
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	defer tr.CloseIdleConnections()
	tc := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	for _, host := range []string{d.HTTPSAddr(), strings.Replace(d.HTTPSAddr(), "127.0.0.1", "localhost", 1)} {
		if code, m, _ = doJSON(t, tc, "GET", "https://"+host+"/api/v1/system", nil, basic); code != 200 || m["model"] != "vEOS-lab" {
			t.Fatalf("https %s: %d %v", host, code, m)
		}
	}
	if st := d.Stats(); st.HTTPRequests < 15 || st.AuthFailures < 3 {
		t.Errorf("stats: %+v", st)
	}
}

func TestHTTPWithCurl(t *testing.T) {
	needTool(t, "curl")
	s := newTestSim(t, DeviceSpec{Name: "h1", Platform: "cisco_iosxe", HTTP: true, HTTPS: true})
	d := s.Device("h1")
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, s.CACertPEM(), 0o644)
	curl := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("curl", append([]string{"-sS", "--max-time", "5"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("curl %v: %v %s", args, err, out)
		}
		return string(out)
	}
	out := curl("-u", "netops:netops", "http://"+d.HTTPAddr()+"/api/v1/system")
	if !strings.Contains(out, `"hostname": "h1"`) {
		t.Errorf("basic: %s", out)
	}
	out = curl("-X", "POST", "-H", "Content-Type: application/json", "-d", `{"username":"netops","password":"netops"}`,
		"--cacert", ca, "https://localhost:"+strings.Split(d.HTTPSAddr(), ":")[1]+"/api/v1/login")
	var m map[string]any
	if json.Unmarshal([]byte(out), &m) != nil || m["token"] == nil {
		t.Fatalf("login: %s", out)
	}
	out = curl("--cacert", ca, "-H", "Authorization: Bearer "+m["token"].(string), "https://"+d.HTTPSAddr()+"/api/v1/interfaces")
	if !strings.Contains(out, "GigabitEthernet1") {
		t.Errorf("bearer over https: %s", out)
	}
	out = curl("-o", "/dev/null", "-w", "%{http_code}", "http://"+d.HTTPAddr()+"/api/v1/system")
	if out != "401" {
		t.Errorf("unauthenticated: %s", out)
	}
}
