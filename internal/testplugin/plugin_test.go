package main

// The SDK's own end-to-end test: the test plugin binary driven by a bare
// go-plugin client, as the host drives it, without the host package.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/netyard/netyard/internal/testenv"
	"github.com/netyard/netyard/sdk"
	pb "github.com/netyard/netyard/shared/proto/netyard/v1"
)

// envHostHelper makes the test binary act as a short-lived host (see
// TestPluginExitsWhenHostDies); its value is the plugin binary, and
// envHostHelperCmds the commands it sends before spawn-child.
const (
	envHostHelper     = "TESTPLUGIN_HOST_HELPER"
	envHostHelperCmds = "TESTPLUGIN_HOST_HELPER_CMDS"
)

func TestMain(m *testing.M) {
	if bin := os.Getenv(envHostHelper); bin != "" {
		os.Exit(hostHelper(bin))
	}
	goleak.VerifyTestMain(m)
}

// LogBuffer collects the plugin's stderr, written by go-plugin's goroutine.

// plug is one running plugin process and its gRPC client.
type plug struct {
	client *plugin.Client
	svc    pb.PluginServiceClient
	stderr *testenv.LogBuffer // the plugin's stderr, raw
	log    *testenv.LogBuffer // the client's log, plugin lines included
}

func newClient(bin string, env []string) (*plugin.Client, *testenv.LogBuffer, *testenv.LogBuffer) {
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), env...)
	stderr, log := &testenv.LogBuffer{}, &testenv.LogBuffer{}
	c := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{sdk.ProtocolVersion: {sdk.PluginSetName: &sdk.GRPCPlugin{}}},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		GRPCDialOptions: []grpc.DialOption{grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(sdk.MaxMessageSize), grpc.MaxCallSendMsgSize(sdk.MaxMessageSize))},
		AutoMTLS:     true,
		StartTimeout: 10 * time.Second,
		Stderr:       stderr,
		Logger:       hclog.New(&hclog.LoggerOptions{Name: "host", Output: log, Level: hclog.Trace}),
	})
	return c, stderr, log
}

func startPlugin(bin string, env ...string) (*plug, error) {
	c, stderr, log := newClient(bin, env)
	p := &plug{client: c, stderr: stderr, log: log}
	rpc, err := c.Client()
	if err != nil {
		c.Kill()
		return p, err
	}
	raw, err := rpc.Dispense(sdk.PluginSetName)
	if err != nil {
		c.Kill()
		return p, err
	}
	p.svc = raw.(pb.PluginServiceClient)
	return p, nil
}

func mustStart(t *testing.T, bin string, env ...string) *plug {
	t.Helper()
	p, err := startPlugin(bin, env...)
	if err != nil {
		t.Fatalf("start plugin: %v\nstderr:\n%s", err, p.stderr)
	}
	t.Cleanup(p.client.Kill)
	return p
}

func testBin(t *testing.T) string {
	t.Helper()
	return testenv.BinaryIn(t, testenv.PluginBin(t, "testplugin"), "")
}

func device(id string, options ...string) sdk.Device {
	d := sdk.Device{ID: id, Name: id, Platform: "linux", Host: "192.0.2.1", Port: 22,
		Username: "admin", Password: "pw-" + id + "-secret", Options: map[string]string{}}
	for i := 0; i+1 < len(options); i += 2 {
		d.Options[options[i]] = options[i+1]
	}
	return d
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func (p *plug) open(ctx context.Context, d sdk.Device, deferred bool) (string, error) {
	r, err := p.svc.OpenSession(ctx, &pb.OpenSessionRequest{Device: sdk.DeviceToProto(d), Type: "test", Library: "fake", Deferred: deferred})
	return r.GetSessionId(), err
}

func (p *plug) mustOpen(t *testing.T, d sdk.Device) string {
	t.Helper()
	id, err := p.open(ctxT(t, 10*time.Second), d, false)
	if err != nil {
		t.Fatalf("open %s: %v", d.ID, err)
	}
	return id
}

func (p *plug) commands(ctx context.Context, id string, cmds ...string) ([]sdk.Response, error) {
	r, err := p.svc.SendCommands(ctx, &pb.SendCommandsRequest{SessionId: id, Commands: cmds})
	return sdk.ResponsesFromProto(r.GetResponses()), err
}

func (p *plug) mustCommand(t *testing.T, id, cmd string) string {
	t.Helper()
	rs, err := p.commands(ctxT(t, 10*time.Second), id, cmd)
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	if len(rs) != 1 {
		t.Fatalf("%s: %d responses, want 1", cmd, len(rs))
	}
	return rs[0].Result
}

// wantKind checks that err carries a netyard error of kind k.
func wantKind(t *testing.T, err error, k sdk.Kind) *sdk.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", k)
	}
	e, ok := sdk.FromStatus(err)
	if !ok {
		t.Fatalf("got %v (no netyard error info), want %s", err, k)
	}
	if e.Kind != k {
		t.Fatalf("got kind %s (%v), want %s", e.Kind, e, k)
	}
	return e
}

// cutOff reports whether err is a call cut off by its deadline: the host's
// deadline fired first, or the plugin saw the cancelled context first and
// answered a retryable error.
func cutOff(err error) bool {
	if status.Code(err) == codes.DeadlineExceeded {
		return true
	}
	e, ok := sdk.FromStatus(err)
	return ok && e.Retryable && (e.Kind == sdk.KindOperation || e.Kind == sdk.KindCreation)
}

func TestDescribeMatchesManifest(t *testing.T) {
	dir := testenv.PluginBin(t, "testplugin")
	data, err := os.ReadFile(filepath.Join(dir, sdk.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	m, err := sdk.ParseManifest(filepath.Join(dir, sdk.ManifestFile), data)
	if err != nil {
		t.Fatalf("manifest: %v", err)
	}
	p := mustStart(t, m.CommandPath())
	ctx := ctxT(t, 10*time.Second)
	r, err := p.svc.Describe(ctx, &pb.DescribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sdk.DescriptionFromProto(r), m.Description(); !reflect.DeepEqual(got, want) {
		t.Errorf("Describe = %+v\nmanifest says %+v", got, want)
	}
	if r.GetSdkVersion() != sdk.Version {
		t.Errorf("sdk version %q, want %q", r.GetSdkVersion(), sdk.Version)
	}
	h, err := p.svc.Health(ctx, &pb.HealthRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if int(h.GetPid()) != p.client.ReattachConfig().Pid || h.GetSessions() != 0 {
		t.Errorf("Health = %v, want pid %d and no sessions", h, p.client.ReattachConfig().Pid)
	}
}

func TestSessionCapabilities(t *testing.T) {
	p := mustStart(t, testBin(t))
	ctx := ctxT(t, 20*time.Second)
	d := device("r1", "hostname", "edge-1", "serial", "SN42")
	id := p.mustOpen(t, d)

	t.Run("cli", func(t *testing.T) {
		r, err := p.svc.SendCommands(ctx, &pb.SendCommandsRequest{SessionId: id,
			Commands: []string{"show version", "show bad thing", "show clock"}, FailedWhenContains: []string{"bad"}, StopOnFailed: true})
		if err != nil {
			t.Fatal(err)
		}
		rs := sdk.ResponsesFromProto(r.GetResponses())
		if len(rs) != 2 {
			t.Fatalf("got %d responses, want 2 (stop on failed): %+v", len(rs), rs)
		}
		if rs[0].Result != "output of show version on r1" || rs[0].Failed || rs[0].Command != "show version" {
			t.Errorf("first response %+v", rs[0])
		}
		if !rs[1].Failed || rs[1].FailedWhen != "bad" {
			t.Errorf("second response %+v, want failed on %q", rs[1], "bad")
		}
		pid := p.mustCommand(t, id, "pid")
		if pid != strconv.Itoa(p.client.ReattachConfig().Pid) {
			t.Errorf("pid = %q, want %d", pid, p.client.ReattachConfig().Pid)
		}
	})
	t.Run("cli.config", func(t *testing.T) {
		r, err := p.svc.SendConfig(ctx, &pb.SendConfigRequest{SessionId: id, Lines: []string{"hostname edge-1", "ntp server 192.0.2.9"}})
		if err != nil {
			t.Fatal(err)
		}
		res := sdk.ConfigResultFromProto(r)
		if !res.Committed || res.Failed || len(res.Responses) != 2 {
			t.Errorf("SendConfig = %+v", res)
		}
		r, err = p.svc.SendConfig(ctx, &pb.SendConfigRequest{SessionId: id, Lines: []string{"logging host 192.0.2.10"}, DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if res := sdk.ConfigResultFromProto(r); !res.Discarded || res.Committed {
			t.Errorf("dry run = %+v", res)
		}
		if got, want := p.mustCommand(t, id, "show running-config"), "hostname edge-1\nntp server 192.0.2.9"; got != want {
			t.Errorf("running-config %q, want %q", got, want)
		}
	})
	t.Run("device_info", func(t *testing.T) {
		r, err := p.svc.GetVersion(ctx, &pb.GetVersionRequest{SessionId: id})
		if err != nil {
			t.Fatal(err)
		}
		info := sdk.DeviceInfoFromProto(r)
		if info.Hostname != "edge-1" || info.Serial != "SN42" || info.Model != "fake-1000" || info.Platform != "linux" {
			t.Errorf("GetVersion = %+v", info)
		}
	})
	t.Run("netconf", func(t *testing.T) {
		nc := func(req *pb.NetconfRequest) sdk.NetconfReply {
			t.Helper()
			req.SessionId = id
			r, err := p.svc.Netconf(ctx, req)
			if err != nil {
				t.Fatalf("%v: %v", req.GetOperation(), err)
			}
			return sdk.NetconfReplyFromProto(r)
		}
		caps := nc(&pb.NetconfRequest{Operation: pb.NetconfOperation_NETCONF_OPERATION_SERVER_CAPABILITIES})
		if len(caps.Capabilities) == 0 || caps.Capabilities[0] != "urn:ietf:params:netconf:base:1.0" {
			t.Errorf("capabilities %v", caps.Capabilities)
		}
		if r := nc(&pb.NetconfRequest{Operation: pb.NetconfOperation_NETCONF_OPERATION_LOCK, Datastore: "candidate"}); !r.OK {
			t.Errorf("lock: %+v", r)
		}
		if r := nc(&pb.NetconfRequest{Operation: pb.NetconfOperation_NETCONF_OPERATION_LOCK, Datastore: "candidate"}); r.OK || len(r.Errors) != 1 || r.Errors[0].Tag != "lock-denied" {
			t.Errorf("second lock: %+v, want lock-denied", r)
		}
		nc(&pb.NetconfRequest{Operation: pb.NetconfOperation_NETCONF_OPERATION_EDIT_CONFIG, Datastore: "candidate", Config: "<x/>"})
		nc(&pb.NetconfRequest{Operation: pb.NetconfOperation_NETCONF_OPERATION_COMMIT})
		if r := nc(&pb.NetconfRequest{Operation: pb.NetconfOperation_NETCONF_OPERATION_GET_CONFIG, Datastore: "running"}); r.Data != "<x/>" {
			t.Errorf("get-config after commit: %+v", r)
		}
		if r := nc(&pb.NetconfRequest{Operation: pb.NetconfOperation_NETCONF_OPERATION_EDIT_CONFIG, Datastore: "candidate", Config: "<invalid/>"}); r.OK || len(r.Errors) == 0 {
			t.Errorf("invalid edit-config: %+v, want an rpc-error", r)
		}
		if r := nc(&pb.NetconfRequest{Operation: pb.NetconfOperation_NETCONF_OPERATION_GET, FilterType: "subtree", Filter: "<system/>"}); !strings.Contains(r.Data, "<hostname>edge-1</hostname>") || r.SessionID != netconfSessionID {
			t.Errorf("get: %+v", r)
		}
		if r := nc(&pb.NetconfRequest{Operation: pb.NetconfOperation_NETCONF_OPERATION_RAW_RPC, Rpc: "<get-schema/>"}); !strings.Contains(r.Data, "<get-schema/></rpc-reply>") {
			t.Errorf("raw rpc: %+v", r)
		}
	})
	t.Run("api", func(t *testing.T) {
		r, err := p.svc.APIRequest(ctx, sdk.APIRequestToProto(id, sdk.APIRequest{Method: "POST", Path: "/api/v1/things", Body: []byte("hello")}))
		if err != nil {
			t.Fatal(err)
		}
		resp := sdk.APIResponseFromProto(r)
		var echo struct{ Device, Method, Path, Body string }
		if err := json.Unmarshal(resp.Body, &echo); err != nil {
			t.Fatal(err)
		}
		if resp.Status != 200 || echo.Device != "r1" || echo.Method != "POST" || echo.Path != "/api/v1/things" || echo.Body != "hello" {
			t.Errorf("API = %d %+v", resp.Status, echo)
		}
		r, err = p.svc.APIRequest(ctx, sdk.APIRequestToProto(id, sdk.APIRequest{Method: "GET", Path: "/status/503"}))
		if err != nil || r.GetStatus() != 503 {
			t.Errorf("GET /status/503 = %v, %v", r.GetStatus(), err)
		}
	})
	t.Run("restconf", func(t *testing.T) {
		rc := func(method, path, body string) sdk.RestconfResponse {
			t.Helper()
			r, err := p.svc.Restconf(ctx, sdk.RestconfRequestToProto(id, sdk.RestconfRequest{Method: method, Path: path, Body: []byte(body)}))
			if err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			return sdk.RestconfResponseFromProto(r)
		}
		if r := rc("GET", "ietf-system:system", ""); r.Status != 200 || !json.Valid(r.Body) || !strings.Contains(string(r.Body), `"device":"r1"`) {
			t.Errorf("GET: %d %s", r.Status, r.Body)
		}
		if r := rc("PUT", "ietf-system:system/hostname", `{"hostname":"x"}`); r.Status != 201 {
			t.Errorf("PUT: %d", r.Status)
		}
		if r := rc("GET", "ietf-system:system/hostname", ""); string(r.Body) != `{"hostname":"x"}` {
			t.Errorf("GET after PUT: %s", r.Body)
		}
		if r := rc("GET", "missing:thing", ""); r.Status != 404 || len(r.Errors) != 1 {
			t.Errorf("GET missing: %+v", r)
		}
	})
	t.Run("echo", func(t *testing.T) {
		r, err := p.svc.Invoke(ctx, &pb.InvokeRequest{SessionId: id, Capability: EchoCapability, Method: "echo", Json: []byte(`{"a":[1,2]}`)})
		if err != nil || string(r.GetJson()) != `{"a":[1,2]}` {
			t.Errorf("echo = %s, %v", r.GetJson(), err)
		}
		r, err = p.svc.Invoke(ctx, &pb.InvokeRequest{SessionId: id, Capability: EchoCapability, Method: "pid"})
		if err != nil || string(r.GetJson()) != fmt.Sprintf(`{"pid":%d}`, p.client.ReattachConfig().Pid) {
			t.Errorf("pid = %s, %v", r.GetJson(), err)
		}
		_, err = p.svc.Invoke(ctx, &pb.InvokeRequest{SessionId: id, Capability: EchoCapability, Method: "nope"})
		if e := wantKind(t, err, sdk.KindNotImplemented); e.Details["capability"] != "echo" || e.Details["method"] != "nope" {
			t.Errorf("details %v", e.Details)
		}
		_, err = p.svc.Invoke(ctx, &pb.InvokeRequest{SessionId: id, Capability: "undeclared", Method: "x"})
		wantKind(t, err, sdk.KindNotImplemented)
	})
	t.Run("alive and close", func(t *testing.T) {
		if a, err := p.svc.Alive(ctx, &pb.AliveRequest{SessionId: id}); err != nil || !a.GetAlive() {
			t.Errorf("Alive = %v, %v", a.GetAlive(), err)
		}
		p.mustCommand(t, id, "drop")
		if a, _ := p.svc.Alive(ctx, &pb.AliveRequest{SessionId: id}); a.GetAlive() {
			t.Error("alive after drop")
		}
		_, err := p.commands(ctx, id, "show version")
		wantKind(t, err, sdk.KindOperation)
		if _, err := p.svc.CloseSession(ctx, &pb.CloseSessionRequest{SessionId: id}); err != nil {
			t.Fatal(err)
		}
		if _, err := p.svc.CloseSession(ctx, &pb.CloseSessionRequest{SessionId: id}); err != nil {
			t.Errorf("second close: %v", err)
		}
		_, err = p.commands(ctx, id, "show version")
		wantKind(t, err, sdk.KindState)
		if h, _ := p.svc.Health(ctx, &pb.HealthRequest{}); h.GetSessions() != 0 {
			t.Errorf("%d sessions after close", h.GetSessions())
		}
	})
}

func TestDeferredConnect(t *testing.T) {
	p := mustStart(t, testBin(t))
	ctx := ctxT(t, 10*time.Second)
	id, err := p.open(ctx, device("r2"), true)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.commands(ctx, id, "show version")
	wantKind(t, err, sdk.KindState)
	if _, err := p.svc.Connect(ctx, &pb.ConnectRequest{SessionId: id}); err != nil {
		t.Fatal(err)
	}
	_, err = p.svc.Connect(ctx, &pb.ConnectRequest{SessionId: id})
	wantKind(t, err, sdk.KindState)
	if got := p.mustCommand(t, id, "show version"); got != "output of show version on r2" {
		t.Errorf("got %q", got)
	}
}

func TestManySessionsInOneProcess(t *testing.T) {
	p := mustStart(t, testBin(t))
	ctx := ctxT(t, 30*time.Second)
	const sessions, calls = 64, 20
	var wg sync.WaitGroup
	errs := make(chan error, sessions)
	for i := range sessions {
		wg.Go(func() {
			dev := fmt.Sprintf("dev-%02d", i)
			id, err := p.open(ctx, device(dev), false)
			if err != nil {
				errs <- err
				return
			}
			defer p.svc.CloseSession(ctx, &pb.CloseSessionRequest{SessionId: id})
			for j := range calls {
				cmd := fmt.Sprintf("show thing %d", j)
				rs, err := p.commands(ctx, id, cmd)
				if err != nil {
					errs <- err
					return
				}
				if want := "output of " + cmd + " on " + dev; len(rs) != 1 || rs[0].Result != want {
					errs <- fmt.Errorf("got %+v, want %q", rs, want)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestHungCallBlocksOnlyItsSession(t *testing.T) {
	p := mustStart(t, testBin(t))
	hung := p.mustOpen(t, device("hung", FaultOption, "hang-on-call"))
	ok := p.mustOpen(t, device("ok"))

	_, err := p.commands(ctxT(t, 200*time.Millisecond), hung, "show version")
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("hung call: %v, want DeadlineExceeded", err)
	}
	// The next call on the hung session waits for the session, and gives up
	// with its own deadline.
	_, err = p.commands(ctxT(t, 200*time.Millisecond), hung, "show version")
	if !cutOff(err) {
		t.Fatalf("second hung call: %v, want a deadline", err)
	}
	if got := p.mustCommand(t, ok, "show version"); got != "output of show version on ok" {
		t.Errorf("other session: %q", got)
	}
	// Closing the hung session does not wait for its call.
	if _, err := p.svc.CloseSession(ctxT(t, 2*time.Second), &pb.CloseSessionRequest{SessionId: hung}); err != nil {
		t.Errorf("close hung session: %v", err)
	}
}

func TestSleepHonoursContext(t *testing.T) {
	p := mustStart(t, testBin(t))
	id := p.mustOpen(t, device("r3"))
	start := time.Now()
	_, err := p.commands(ctxT(t, 100*time.Millisecond), id, "sleep 10s")
	if !cutOff(err) {
		t.Fatalf("got %v, want DeadlineExceeded", err)
	}
	// The plugin noticed the cancel: the session is free again at once.
	if got := p.mustCommand(t, id, "sleep 1ms"); got != "output of sleep 1ms on r3" {
		t.Errorf("got %q", got)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("took %v", el)
	}
}

func TestBigOutputCrosses(t *testing.T) {
	p := mustStart(t, testBin(t))
	id := p.mustOpen(t, device("big"))
	const n = 64 << 20
	got := p.mustCommand(t, id, fmt.Sprintf("big %d", n))
	if len(got) != n {
		t.Fatalf("got %d bytes, want %d", len(got), n)
	}
	if got != bigOutput(n) {
		t.Fatal("64 MiB output corrupted on the way")
	}
	// And a large request the other way.
	body := bytes.Repeat([]byte("y"), 16<<20)
	r, err := p.svc.APIRequest(ctxT(t, 30*time.Second), sdk.APIRequestToProto(id, sdk.APIRequest{Method: "POST", Path: "/big", Body: body}))
	if err != nil {
		t.Fatalf("16 MiB request: %v", err)
	}
	if len(r.GetBody()) < len(body) {
		t.Errorf("echo of 16 MiB request has %d bytes", len(r.GetBody()))
	}
}

func TestErrorKindsRoundTrip(t *testing.T) {
	p := mustStart(t, testBin(t))
	ctx := ctxT(t, 10*time.Second)

	_, err := p.open(ctx, device("r4", FaultOption, "auth-fail"), false)
	e := wantKind(t, err, sdk.KindCreation)
	if e.Retryable || !strings.Contains(e.Message, "authentication failed for user admin") {
		t.Errorf("auth-fail: %+v", e)
	}
	_, err = p.open(ctx, device("r5", FaultOption, "unreachable"), false)
	if e := wantKind(t, err, sdk.KindCreation); !e.Retryable {
		t.Errorf("unreachable is not retryable: %+v", e)
	}
	_, err = p.open(ctx, device("r6", FaultOption, "no-such-fault"), false)
	wantKind(t, err, sdk.KindValidation)
	// Past the deadline, the host's deadline fires first, or the plugin's
	// connect gives up first with a retryable creation error.
	_, err = p.open(ctxT(t, 100*time.Millisecond), device("r7", FaultOption, "slow-connect=10s"), false)
	if !cutOff(err) {
		t.Errorf("slow connect past the deadline: %v", err)
	}
	if _, err := p.open(ctx, device("r8", FaultOption, "slow-connect=50ms"), false); err != nil {
		t.Errorf("slow connect within the deadline: %v", err)
	}
	// Failed opens leave no session behind.
	if h, _ := p.svc.Health(ctx, &pb.HealthRequest{}); h.GetSessions() != 1 {
		t.Errorf("%d sessions, want 1", h.GetSessions())
	}
	id := p.mustOpen(t, device("r9"))
	for _, tc := range []struct {
		cmd       string
		kind      sdk.Kind
		retryable bool
	}{
		{"error operation retryable", sdk.KindOperation, true},
		{"error operation", sdk.KindOperation, false},
		{"error state", sdk.KindState, false},
		{"error validation", sdk.KindValidation, false},
		{"error internal", sdk.KindInternal, false},
		{"big lots", sdk.KindValidation, false},
	} {
		_, err := p.commands(ctx, id, tc.cmd)
		if e := wantKind(t, err, tc.kind); e.Retryable != tc.retryable || !strings.Contains(e.Message, "r9") {
			t.Errorf("%s: %+v", tc.cmd, e)
		}
	}
}

func TestPanicBecomesInternalAndProcessServes(t *testing.T) {
	p := mustStart(t, testBin(t))
	ctx := ctxT(t, 10*time.Second)
	bad := p.mustOpen(t, device("bad", FaultOption, "panic-on-call"))
	good := p.mustOpen(t, device("good"))
	for range 3 {
		_, err := p.commands(ctx, bad, "show version")
		if e := wantKind(t, err, sdk.KindInternal); !strings.Contains(e.Message, "panic-on-call") {
			t.Errorf("panic error: %v", e)
		}
	}
	if got := p.mustCommand(t, good, "show version"); got != "output of show version on good" {
		t.Errorf("after panics: %q", got)
	}
	if p.client.Exited() {
		t.Error("plugin exited after a panic")
	}
}

func TestCrash(t *testing.T) {
	for _, fault := range []string{"crash-on-connect", "crash-on-call"} {
		t.Run(fault, func(t *testing.T) {
			t.Parallel()
			bin := testenv.BinaryIn(t, testenv.PluginDir(t, "testplugin"), "testplugin")
			p := mustStart(t, bin)
			ctx := ctxT(t, 10*time.Second)
			id, err := p.open(ctx, device("crash", FaultOption, fault), false)
			if err == nil {
				_, err = p.commands(ctx, id, "show version")
			}
			if status.Code(err) != codes.Unavailable {
				t.Errorf("call into a crashing plugin: %v, want Unavailable", err)
			}
			if _, ok := sdk.FromStatus(err); ok {
				t.Errorf("a crash reads as a plugin error: %v", err)
			}
			testenv.WaitNoProcesses(t, bin, 2*time.Second)
			deadline := time.Now().Add(2 * time.Second)
			for !p.client.Exited() && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if !p.client.Exited() {
				t.Error("client did not notice the exit")
			}
		})
	}
}

func TestPasswordNeverLogged(t *testing.T) {
	p := mustStart(t, testBin(t), sdk.EnvLogLevel+"=trace")
	ctx := ctxT(t, 10*time.Second)
	secrets := []string{"hunter2-plain", `q"uo<te>&\back`}
	for i, pw := range secrets {
		d := device(fmt.Sprintf("sec%d", i))
		d.Password = pw
		id := p.mustOpen(t, d)
		if got := p.mustCommand(t, id, "echo-secret"); got != "ok" {
			t.Fatalf("echo-secret = %q", got)
		}
	}
	d := device("sec-auth", FaultOption, "auth-fail")
	d.Username = secrets[0] // a secret in an error message
	_, err := p.open(ctx, d, false)
	wantKind(t, err, sdk.KindCreation)
	if strings.Contains(err.Error(), secrets[0]) {
		t.Errorf("error carries the password: %v", err)
	}
	p.client.Kill() // flush stderr
	out := p.stderr.String()
	if !strings.Contains(out, "echo-secret") || !strings.Contains(out, sdk.Redacted) {
		t.Fatalf("trace line missing from stderr:\n%s", out)
	}
	for _, pw := range secrets {
		esc, _ := json.Marshal(pw)
		for _, form := range []string{pw, string(esc[1 : len(esc)-1])} {
			if strings.Contains(out, form) || strings.Contains(p.log.String(), form) {
				t.Errorf("password %q (as %q) appears in the plugin's output:\n%s", pw, form, out)
			}
		}
	}
}

func TestSpawnedChildKilledOnShutdown(t *testing.T) {
	bin := testenv.BinaryIn(t, testenv.PluginDir(t, "testplugin"), "testplugin")
	p := mustStart(t, bin)
	id := p.mustOpen(t, device("spawner"))
	child, err := strconv.Atoi(p.mustCommand(t, id, "spawn-child"))
	if err != nil || !testenv.PIDAlive(child) {
		t.Fatalf("spawn-child: %d %v", child, err)
	}
	p.client.Kill()
	testenv.WaitNoProcesses(t, bin, 2*time.Second)
	testenv.WaitPIDsGone(t, []int{child}, 2*time.Second)
}

func TestSIGTERMClosesAndExits(t *testing.T) {
	bin := testenv.BinaryIn(t, testenv.PluginDir(t, "testplugin"), "testplugin")
	p := mustStart(t, bin)
	id := p.mustOpen(t, device("term"))
	child, _ := strconv.Atoi(p.mustCommand(t, id, "spawn-child"))
	if err := syscall.Kill(p.client.ReattachConfig().Pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	testenv.WaitNoProcesses(t, bin, 2*time.Second)
	testenv.WaitPIDsGone(t, []int{child}, 2*time.Second)
}

// hostHelper is a throwaway host: it starts the plugin, has it spawn a
// child, prints both pids and waits to be SIGKILLed.
func hostHelper(bin string) int {
	c, stderr, _ := newClient(bin, nil)
	fail := func(err error) int {
		fmt.Printf("error %v\n%s\n", err, stderr)
		return 1
	}
	rpc, err := c.Client()
	if err != nil {
		return fail(err)
	}
	raw, err := rpc.Dispense(sdk.PluginSetName)
	if err != nil {
		return fail(err)
	}
	svc := raw.(pb.PluginServiceClient)
	ctx := context.Background()
	o, err := svc.OpenSession(ctx, &pb.OpenSessionRequest{Device: sdk.DeviceToProto(device("orphan")), Type: "test", Library: "fake"})
	if err != nil {
		return fail(err)
	}
	var cmds []string
	if extra := os.Getenv(envHostHelperCmds); extra != "" {
		cmds = strings.Split(extra, ",")
	}
	r, err := svc.SendCommands(ctx, &pb.SendCommandsRequest{SessionId: o.GetSessionId(), Commands: append(cmds, "spawn-child")})
	if err != nil {
		return fail(err)
	}
	rs := r.GetResponses()
	fmt.Printf("pids %d %s\n", c.ReattachConfig().Pid, rs[len(rs)-1].GetResult())
	time.Sleep(time.Minute) // until SIGKILLed
	return 1
}

// TestPluginExitsWhenHostDies SIGKILLs a host: its plugin and the plugin's
// child must be gone within 2 s. A chatty plugin writes to the dead host's
// stderr pipe before it notices, which must not kill it before it has
// killed its children.
func TestPluginExitsWhenHostDies(t *testing.T) {
	for _, tc := range []struct{ name, cmds string }{{"quiet", ""}, {"chatty", "chatter 5ms"}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testHostDeath(t, tc.cmds)
		})
	}
}

func testHostDeath(t *testing.T, cmds string) {
	bin := testenv.BinaryIn(t, testenv.PluginDir(t, "testplugin"), "testplugin")
	helper := exec.Command(os.Args[0], "-test.run=^$")
	helper.Env = append(os.Environ(), envHostHelper+"="+bin, envHostHelperCmds+"="+cmds)
	out, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var helperErr bytes.Buffer
	helper.Stderr = &helperErr
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	var pluginPID, childPID int
	if _, serr := fmt.Sscanf(line, "pids %d %d", &pluginPID, &childPID); serr != nil {
		_ = helper.Process.Kill()
		_ = helper.Wait()
		t.Fatalf("helper said %q (%v): %s", line, err, helperErr.String())
	}
	if got := testenv.PluginPIDs(t, bin); !reflect.DeepEqual(got, []int{pluginPID}) {
		t.Errorf("plugin processes %v, want [%d]", got, pluginPID)
	}
	if err := helper.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = helper.Wait()
	killed := time.Now()
	testenv.WaitNoProcesses(t, bin, 2*time.Second)
	testenv.WaitPIDsGone(t, []int{childPID}, 2*time.Second-time.Since(killed))
	t.Logf("plugin and its child gone %v after the host", time.Since(killed))
	if t.Failed() {
		// Do not leak them into the rest of the run.
		_ = syscall.Kill(pluginPID, syscall.SIGKILL)
		_ = syscall.Kill(childPID, syscall.SIGKILL)
	}
}

func TestServeByHand(t *testing.T) {
	cmd := exec.Command(testBin(t))
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, sdk.Handshake.MagicCookieKey+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("exit: %v, want status 1", err)
	}
	if !strings.Contains(string(out), "started by the netyard host") {
		t.Errorf("output %q", out)
	}
}

func TestProcessModes(t *testing.T) {
	for _, tc := range []struct {
		mode    string
		wantErr string // in the start error, or "" for a start that works
	}{
		{"garbage-stdout", "Unrecognized remote plugin message"},
		{"wrong-protocol", "incompatible API version"},
		{"exit-at-start", "Unrecognized remote plugin message"},
		{"slow-start=300ms", ""},
		{"describe-mismatch", ""},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			t.Parallel()
			bin := testenv.BinaryIn(t, testenv.PluginDirWithMode(t, tc.mode), "testplugin")
			start := time.Now()
			p, err := startPlugin(bin)
			t.Cleanup(p.client.Kill)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("start: %v, want %q", err, tc.wantErr)
				}
				if tc.mode == "exit-at-start" && !strings.Contains(p.stderr.String(), "exit-at-start") {
					t.Errorf("stderr %q", p.stderr)
				}
				return
			}
			if err != nil {
				t.Fatalf("start: %v", err)
			}
			r, err := p.svc.Describe(ctxT(t, 5*time.Second), &pb.DescribeRequest{})
			if err != nil {
				t.Fatal(err)
			}
			switch tc.mode {
			case "slow-start=300ms":
				if el := time.Since(start); el < 300*time.Millisecond {
					t.Errorf("started in %v", el)
				}
			case "describe-mismatch":
				d := sdk.DescriptionFromProto(r)
				if d.Version == "0.1.0" || len(d.Provides[0].Capabilities) != len(description().Provides[0].Capabilities)-1 {
					t.Errorf("Describe = %+v, want a contradiction of the manifest", d)
				}
			}
		})
	}
}

func TestHangOnConnectDoesNotBlockKill(t *testing.T) {
	bin := testenv.BinaryIn(t, testenv.PluginDir(t, "testplugin"), "testplugin")
	p := mustStart(t, bin)
	_, err := p.open(ctxT(t, 200*time.Millisecond), device("h", FaultOption, "hang-on-connect"), false)
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("hung connect: %v", err)
	}
	start := time.Now()
	p.client.Kill()
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("Kill took %v", el)
	}
	testenv.WaitNoProcesses(t, bin, 2*time.Second)
}

// TestTLSFromInheritedFD serves over TLS set up from the material the host
// hands over on an inherited descriptor (sdk.EnvTLSFD) instead of AutoMTLS,
// and refuses a client whose certificate the host's CA did not issue.
func TestTLSFromInheritedFD(t *testing.T) {
	ca := newTestCA(t)
	certPEM, keyPEM := ca.issue(t, "plugin", x509.ExtKeyUsageServerAuth)
	material, err := json.Marshal(sdk.TLSMaterial{CA: ca.pem, Cert: certPEM, Key: keyPEM})
	if err != nil {
		t.Fatal(err)
	}
	clientTLS := func(ca *testCA) *tls.Config {
		certPEM, keyPEM := ca.issue(t, "host", x509.ExtKeyUsageClientAuth)
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(ca.pem)
		return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS13}
	}
	start := func(cfg *tls.Config) (*plugin.Client, error) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if _, err := w.Write(material); err != nil {
			t.Fatal(err)
		}
		w.Close()
		cmd := exec.Command(testBin(t))
		cmd.Env = append(os.Environ(), sdk.EnvTLSFD+"=3")
		cmd.ExtraFiles = []*os.File{r}
		c := plugin.NewClient(&plugin.ClientConfig{
			HandshakeConfig:  sdk.Handshake,
			VersionedPlugins: map[int]plugin.PluginSet{sdk.ProtocolVersion: {sdk.PluginSetName: &sdk.GRPCPlugin{}}},
			Cmd:              cmd,
			AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
			TLSConfig:        cfg,
			StartTimeout:     10 * time.Second,
			Logger:           hclog.NewNullLogger(),
		})
		t.Cleanup(c.Kill)
		rpc, err := c.Client()
		if err != nil {
			return c, err
		}
		raw, err := rpc.Dispense(sdk.PluginSetName)
		if err != nil {
			return c, err
		}
		_, err = raw.(pb.PluginServiceClient).Describe(ctxT(t, 5*time.Second), &pb.DescribeRequest{})
		return c, err
	}
	if _, err := start(clientTLS(ca)); err != nil {
		t.Fatalf("client certificate from the host's CA: %v", err)
	}
	bad, err := start(clientTLS(newTestCA(t)))
	if rc := bad.ReattachConfig(); rc != nil {
		// go-plugin's Kill would wait 2 s for a graceful shutdown that
		// cannot reach the plugin.
		_ = syscall.Kill(rc.Pid, syscall.SIGKILL)
	}
	if err == nil {
		t.Fatal("a client certificate from another CA was accepted")
	}
}

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T) *testCA {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "netyard test CA"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

func (ca *testCA) issue(t *testing.T, cn string, usage x509.ExtKeyUsage) (certPEM, keyPEM []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		DNSNames: []string{"localhost"}, NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}
