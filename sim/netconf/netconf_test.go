package netconf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	scrapliNetconf "github.com/scrapli/scrapligo/driver/netconf"
	"github.com/scrapli/scrapligo/driver/options"
	"github.com/scrapli/scrapligo/transport"
	"github.com/scrapli/scrapligo/util"
	"go.uber.org/goleak"

	"github.com/netyard/netyard/internal/rfc6242"
	"github.com/netyard/netyard/sim/datastore"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// requireTool skips when a real client is missing on a developer machine;
// under CI=true a missing client fails the test instead.
func requireTool(t *testing.T, path, hint string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s missing (%s)", path, hint)
		}
		t.Skipf("%s missing (%s)", path, hint)
	}
}

// pipeClient is a minimal in-process NETCONF client over net.Pipe.
type pipeClient struct {
	t    *testing.T
	conn net.Conn
	enc  *rfc6242.Encoder
	dec  *rfc6242.Decoder
	id   int
	done chan error
	sid  string
}

func startPipe(t *testing.T, srv *Server, opts Options, optsFn func() Options, clientCaps ...string) *pipeClient {
	t.Helper()
	a, b := net.Pipe()
	c := &pipeClient{t: t, conn: a, enc: rfc6242.NewEncoder(a), dec: rfc6242.NewDecoder(a), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { c.done <- srv.ServeSession(ctx, b, opts, optsFn) }()
	t.Cleanup(func() {
		cancel()
		a.Close()
		<-c.done
	})
	hello, err := c.dec.Decode()
	if err != nil {
		t.Fatalf("server hello: %v", err)
	}
	h, err := datastore.ParseXML(hello)
	if err != nil {
		t.Fatal(err)
	}
	c.sid = h.ChildText("session-id")
	var serverCaps []string
	for _, cp := range h.Child("", "capabilities").Children {
		serverCaps = append(serverCaps, cp.Text)
	}
	if len(clientCaps) == 0 {
		clientCaps = []string{rfc6242.Base10, rfc6242.Base11}
	}
	var b2 strings.Builder
	b2.WriteString(`<hello xmlns="` + BaseNS + `"><capabilities>`)
	for _, cp := range clientCaps {
		b2.WriteString("<capability>" + cp + "</capability>")
	}
	b2.WriteString("</capabilities></hello>")
	if err := c.enc.Encode([]byte(b2.String())); err != nil {
		t.Fatal(err)
	}
	f := rfc6242.Negotiate(clientCaps, serverCaps)
	c.enc.SetFraming(f)
	c.dec.SetFraming(f)
	return c
}

func (c *pipeClient) send(op string) {
	c.t.Helper()
	c.id++
	msg := fmt.Sprintf(`<rpc message-id="%d" xmlns="%s">%s</rpc>`, c.id, BaseNS, op)
	if err := c.enc.Encode([]byte(msg)); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

func (c *pipeClient) recv() (*datastore.Node, error) {
	msg, err := c.dec.Decode()
	if err != nil {
		return nil, err
	}
	return datastore.ParseXML(msg)
}

func (c *pipeClient) rpc(op string) *datastore.Node {
	c.t.Helper()
	c.send(op)
	r, err := c.recv()
	if err != nil {
		c.t.Fatalf("reply: %v", err)
	}
	if got, _ := r.Attr("", "message-id"); got != fmt.Sprint(c.id) {
		c.t.Fatalf("reply message-id %q, want %d", got, c.id)
	}
	return r
}

func errorTag(r *datastore.Node) string {
	if e := r.Child(BaseNS, "rpc-error"); e != nil {
		return e.ChildText("error-tag")
	}
	return ""
}

func TestFramingNegotiation(t *testing.T) {
	tests := []struct {
		name       string
		base10Only bool
		clientCaps []string
		want       rfc6242.Framing
	}{
		{"both 1.1", false, []string{rfc6242.Base10, rfc6242.Base11}, rfc6242.Chunked},
		{"server 1.0 only", true, []string{rfc6242.Base10, rfc6242.Base11}, rfc6242.EndOfMessage},
		{"client 1.0 only", false, []string{rfc6242.Base10}, rfc6242.EndOfMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := NewServer(datastore.NewDefault("r1"))
			c := startPipe(t, srv, Options{Base10Only: tt.base10Only}, nil, tt.clientCaps...)
			if c.enc.Framing() != tt.want {
				t.Fatalf("framing %v, want %v", c.enc.Framing(), tt.want)
			}
			r := c.rpc(`<get-config><source><running/></source></get-config>`)
			if !strings.Contains(r.String(), "eth0") {
				t.Fatalf("reply %s", r)
			}
		})
	}
}

func TestRPCErrors(t *testing.T) {
	srv := NewServer(datastore.NewDefault("r1"))
	c := startPipe(t, srv, Options{}, nil)
	tests := []struct{ op, tag string }{
		{`<frobnicate/>`, datastore.TagOperationNotSupported},
		{`<get-config><source><running/></source><bogus/></get-config>`, datastore.TagUnknownElement},
		{`<get-config/>`, datastore.TagMissingElement},
		{`<get-config><source><nonesuch/></source></get-config>`, datastore.TagInvalidValue},
		{`<lock><target><running/></target></lock>`, ""},
		{`<lock><target><running/></target></lock>`, datastore.TagLockDenied},
		{`<unlock><target><running/></target></unlock>`, ""},
		{`<kill-session><session-id>` + c.sid + `</session-id></kill-session>`, datastore.TagInvalidValue},
		{`<kill-session><session-id>999</session-id></kill-session>`, datastore.TagInvalidValue},
		{`<commit><confirm-timeout>x</confirm-timeout></commit>`, datastore.TagInvalidValue},
		{`<cancel-commit/>`, datastore.TagOperationFailed},
		{`<get><filter type="xpath" select="//x"/></get>`, datastore.TagInvalidValue},
		{`<copy-config><target><startup/></target><source><url>file:///x</url></source></copy-config>`, datastore.TagOperationNotSupported},
	}
	for _, tt := range tests {
		if got := errorTag(c.rpc(tt.op)); got != tt.tag {
			t.Errorf("%s: error-tag %q, want %q", tt.op, got, tt.tag)
		}
	}
	// Malformed XML gets a malformed-message error and the session goes on.
	if err := c.enc.Encode([]byte("<rpc message-id='9' xmlns='" + BaseNS + "'><get>")); err != nil {
		t.Fatal(err)
	}
	r, err := c.recv()
	if err != nil || errorTag(r) != datastore.TagMalformedMessage {
		t.Fatalf("malformed: %v %v", r, err)
	}
	if errorTag(c.rpc(`<get/>`)) != "" {
		t.Fatal("session unusable after malformed message")
	}
	// Missing message-id.
	_ = c.enc.Encode([]byte(`<rpc xmlns="` + BaseNS + `"><get/></rpc>`))
	if r, _ := c.recv(); errorTag(r) != datastore.TagMissingAttribute {
		t.Fatalf("missing message-id: %v", r)
	}
	// close-session ends ServeSession with nil.
	c.rpc(`<close-session/>`)
	if err := <-c.done; err != nil {
		t.Fatalf("ServeSession after close-session: %v", err)
	}
	c.done <- nil
}

func TestReplyCopiesAttributes(t *testing.T) {
	srv := NewServer(datastore.NewDefault("r1"))
	c := startPipe(t, srv, Options{}, nil)
	_ = c.enc.Encode([]byte(`<rpc message-id="urn:uuid:1" user-tag="x&amp;y" xmlns="` + BaseNS + `"><get-config><source><running/></source></get-config></rpc>`))
	r, err := c.recv()
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := r.Attr("", "message-id"); id != "urn:uuid:1" {
		t.Fatalf("message-id %q", id)
	}
	if tag, _ := r.Attr("", "user-tag"); tag != "x&y" {
		t.Fatalf("user-tag %q", tag)
	}
}

func TestKillSessionReleasesLock(t *testing.T) {
	srv := NewServer(datastore.NewDefault("r1"))
	a := startPipe(t, srv, Options{}, nil)
	b := startPipe(t, srv, Options{}, nil)
	if tag := errorTag(b.rpc(`<lock><target><candidate/></target></lock>`)); tag != "" {
		t.Fatal(tag)
	}
	r := a.rpc(`<lock><target><candidate/></target></lock>`)
	if errorTag(r) != datastore.TagLockDenied || !strings.Contains(r.String(), "<session-id>"+b.sid+"</session-id>") {
		t.Fatalf("lock-denied with owner expected: %s", r)
	}
	if tag := errorTag(a.rpc(`<kill-session><session-id>` + b.sid + `</session-id></kill-session>`)); tag != "" {
		t.Fatal(tag)
	}
	if tag := errorTag(a.rpc(`<lock><target><candidate/></target></lock>`)); tag != "" {
		t.Fatalf("lock after kill: %s", tag)
	}
	if err := <-b.done; err != nil {
		t.Fatalf("killed session returned %v", err)
	}
	b.done <- nil
	if _, err := b.recv(); err == nil {
		t.Fatal("killed session still readable")
	}
}

func TestFaults(t *testing.T) {
	t.Run("latency", func(t *testing.T) {
		c := startPipe(t, NewServer(datastore.NewDefault("r1")), Options{Latency: 150 * time.Millisecond}, nil)
		start := time.Now()
		c.rpc(`<get/>`)
		if d := time.Since(start); d < 150*time.Millisecond {
			t.Fatalf("reply after %v", d)
		}
	})
	t.Run("drop after", func(t *testing.T) {
		c := startPipe(t, NewServer(datastore.NewDefault("r1")), Options{DropAfter: 2}, nil)
		c.rpc(`<get/>`)
		c.rpc(`<get/>`)
		c.send(`<get/>`)
		if _, err := c.recv(); err == nil {
			t.Fatal("third rpc answered")
		}
		if err := <-c.done; !errors.Is(err, ErrDropped) {
			t.Fatalf("ServeSession: %v", err)
		}
		c.done <- nil
	})
	t.Run("hang toggled at run time", func(t *testing.T) {
		var hang bool
		var mu = make(chan struct{}, 1)
		mu <- struct{}{}
		fn := func() Options { <-mu; defer func() { mu <- struct{}{} }(); return Options{Hang: hang} }
		c := startPipe(t, NewServer(datastore.NewDefault("r1")), Options{}, fn)
		c.rpc(`<get/>`)
		<-mu
		hang = true
		mu <- struct{}{}
		c.send(`<get/>`)
		got := make(chan error, 1)
		go func() { _, err := c.recv(); got <- err }()
		select {
		case err := <-got:
			t.Fatalf("hung session answered (%v)", err)
		case <-time.After(200 * time.Millisecond):
		}
		c.conn.Close()
		<-got
	})
	t.Run("output size 64 MiB", func(t *testing.T) {
		for _, base10 := range []bool{false, true} {
			c := startPipe(t, NewServer(datastore.NewDefault("r1")), Options{OutputSize: 64 << 20, Base10Only: base10}, nil)
			c.send(`<get-config><source><running/></source></get-config>`)
			msg, err := c.dec.Decode()
			if err != nil {
				t.Fatal(err)
			}
			if len(msg) < 64<<20 || len(msg) > 64<<20+1024 {
				t.Fatalf("reply of %d bytes", len(msg))
			}
			if !bytes.Contains(msg, []byte("<name>eth0</name>")) || !bytes.HasSuffix(msg, []byte("</data></rpc-reply>")) {
				t.Fatal("padded reply lacks real data or its end")
			}
		}
	})
}

func TestContextCancelEndsSession(t *testing.T) {
	srv := NewServer(datastore.NewDefault("r1"))
	a, b := net.Pipe()
	defer a.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ServeSession(ctx, b, Options{}, nil) }()
	if _, err := rfc6242.NewDecoder(a).Decode(); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("ServeSession: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ServeSession ignored ctx")
	}
	if _, err := a.Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("channel not closed: %v", err)
	}
}

// TestNcclient drives the server with Debian's python3-ncclient through
// every operation, in base:1.1 (chunked) and base:1.0-only sessions.
func TestNcclient(t *testing.T) {
	requireTool(t, "/usr/lib/python3/dist-packages/ncclient/__init__.py", "apt-get install -y python3-ncclient")
	for _, base := range []string{"1.1", "1.0"} {
		t.Run("base"+base, func(t *testing.T) {
			t.Parallel()
			srv := NewServer(datastore.NewDefault("r1"))
			ssh := startSSH(t, srv, Options{Base10Only: base == "1.0"})
			host, port, _ := net.SplitHostPort(ssh.addr)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, "/usr/bin/python3", "testdata/ncclient_ops.py", host, port, base)
			out, err := cmd.CombinedOutput()
			t.Logf("ncclient:\n%s", out)
			if err != nil || !bytes.Contains(out, []byte("ALL OK")) {
				t.Fatalf("ncclient: %v\n%s", err, out)
			}
		})
	}
}

// TestScrapligo drives the server with scrapligo's NETCONF driver (standard
// transport) for get-config and edit-config in both framings.
func TestScrapligo(t *testing.T) {
	tests := []struct {
		name       string
		base10Only bool
		preferred  string
		want       string
	}{
		{"base1.1", false, "", scrapliNetconf.V1Dot1},
		{"server base1.0 only", true, "", scrapliNetconf.V1Dot0},
		{"client prefers 1.0", false, scrapliNetconf.V1Dot0, scrapliNetconf.V1Dot0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := datastore.NewDefault("r1")
			ssh := startSSH(t, NewServer(store), Options{Base10Only: tt.base10Only})
			host, portStr, _ := net.SplitHostPort(ssh.addr)
			port, _ := strconv.Atoi(portStr)
			opts := []util.Option{
				options.WithAuthNoStrictKey(),
				options.WithAuthUsername(testUser),
				options.WithAuthPassword(testPassword),
				options.WithPort(port),
				options.WithTransportType(transport.StandardTransport),
				options.WithTimeoutOps(10 * time.Second),
			}
			if tt.preferred != "" {
				opts = append(opts, options.WithNetconfPreferredVersion(tt.preferred))
			}
			d, err := scrapliNetconf.NewDriver(host, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Open(); err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if d.SelectedVersion != tt.want {
				t.Fatalf("version %s, want %s", d.SelectedVersion, tt.want)
			}
			r, err := d.GetConfig("running")
			if err != nil || r.Failed != nil {
				t.Fatalf("get-config: %v %v", err, r.Failed)
			}
			if !strings.Contains(r.Result, "<name>eth0</name>") || !strings.Contains(r.Result, "uplink") {
				t.Fatalf("get-config result %s", r.Result)
			}
			cfg := `<config><interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface>` +
				`<name>eth0</name><description>set-by-scrapligo</description></interface></interfaces></config>`
			r, err = d.EditConfig("running", cfg)
			if err != nil || r.Failed != nil || !strings.Contains(r.Result, "<ok/>") {
				t.Fatalf("edit-config: %v %v %s", err, r.Failed, r.Result)
			}
			got, _ := store.GetConfig(datastore.Running, nil)
			if !strings.Contains(datastore.XMLString(got), "set-by-scrapligo") {
				t.Fatal("edit not in running")
			}
			r, err = d.GetConfig("candidate")
			if err != nil || r.Failed != nil {
				t.Fatalf("get-config candidate: %v %v", err, r.Failed)
			}
			if strings.Contains(r.Result, "set-by-scrapligo") {
				t.Fatal("running edit leaked into candidate")
			}
			// An rpc-error is reported as failed.
			r, err = d.EditConfig("running", `<config><interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces">`+
				`<interface xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="delete"><name>nope</name></interface></interfaces></config>`)
			if err != nil || r.Failed == nil || !strings.Contains(r.Result, "data-missing") {
				t.Fatalf("edit-config delete missing: %v %v %s", err, r.Failed, r.Result)
			}
		})
	}
}
