package host_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"go.uber.org/goleak"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/internal/testenv"
	"github.com/netyard/netyard/sdk"
)

func TestMain(m *testing.M) {
	if os.Getenv("NETYARD_TEST_HOST_CHILD") != "" {
		hostChild()
		return
	}
	goleak.VerifyTestMain(m)
}

const secret = "s3cr3t-Pa55word!"

func device(id string, opts map[string]string) host.Device {
	return host.Device{ID: id, Platform: "linux", Host: "127.0.0.1", Port: 22, Username: "netops",
		Password: secret, EnableSecret: "en-" + secret, Options: opts}
}

var testReq = host.Request{Type: "test", Library: "fake"}

// newHost starts a host on a fresh plugin directory holding the test plugin.
func newHost(t *testing.T, dir string, mod func(*host.Config)) (*host.Host, *testenv.LogBuffer) {
	t.Helper()
	logs := &testenv.LogBuffer{}
	cfg := host.Config{
		PluginDirs: []string{dir},
		Logger:     hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: logs}),
	}
	if mod != nil {
		mod(&cfg)
	}
	h, err := host.New(cfg)
	if err != nil {
		t.Fatalf("host.New: %v", err)
	}
	t.Cleanup(func() {
		h.Close()
		binary := filepath.Join(dir, "testplugin", "testplugin")
		testenv.WaitNoProcesses(t, binary, 3*time.Second)
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the password appears in the host log")
		}
	})
	return h, logs
}

// mustOpen opens a test connection to the device id, with options opts.
func mustOpen(t *testing.T, h *host.Host, id string, opts map[string]string) *host.Conn {
	t.Helper()
	c, err := h.Open(context.Background(), device(id, opts), testReq)
	if err != nil {
		t.Fatalf("open %s: %v", id, err)
	}
	return c
}

func pidOf(t *testing.T, c *host.Conn) int {
	t.Helper()
	var out struct {
		PID int `json:"pid"`
	}
	if err := c.Invoke(context.Background(), "echo", "pid", map[string]any{}, &out); err != nil {
		t.Fatalf("invoke pid: %v", err)
	}
	if out.PID != c.Plugin().PID {
		t.Fatalf("plugin reports pid %d, host thinks %d", out.PID, c.Plugin().PID)
	}
	return out.PID
}

func TestOpenCallClose(t *testing.T) {
	h, _ := newHost(t, testenv.PluginDir(t, "testplugin"), nil)
	ctx := context.Background()
	c := mustOpen(t, h, "r1", nil)
	r, err := c.CLI().SendCommand(ctx, "show version")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Result, "show version") || r.Failed {
		t.Fatalf("unexpected response %+v", r)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	_, err = c.CLI().SendCommand(ctx, "show version")
	var se *host.StateError
	if !errors.As(err, &se) || se.State != host.StateClosed || !errors.Is(err, host.ErrConnection) {
		t.Fatalf("call after close: want State closed, got %v", err)
	}
	if se.DeviceID != "r1" {
		t.Fatalf("device id missing: %v", err)
	}
}

func TestWithClosesOnPanic(t *testing.T) {
	h, _ := newHost(t, testenv.PluginDir(t, "testplugin"), nil)
	var conn *host.Conn
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("panic did not propagate")
			}
		}()
		_ = h.With(context.Background(), device("r1", nil), testReq, func(c *host.Conn) error {
			conn = c
			panic("boom")
		})
	}()
	if _, err := conn.CLI().SendCommand(context.Background(), "x"); host.Kind(err) != "state" {
		t.Fatalf("connection not closed after panic: %v", err)
	}
	wantErr := errors.New("mine")
	if err := h.With(context.Background(), device("r1", nil), testReq, func(*host.Conn) error { return wantErr }); err != wantErr {
		t.Fatalf("With returned %v, want fn's error", err)
	}
}

func TestDeferredConnect(t *testing.T) {
	h, _ := newHost(t, testenv.PluginDir(t, "testplugin"), nil)
	ctx := context.Background()
	req := testReq
	req.Deferred = true
	c, err := h.Open(ctx, device("r1", nil), req)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var se *host.StateError
	if _, err := c.CLI().SendCommand(ctx, "x"); !errors.As(err, &se) || se.State != host.StateNotInitialised {
		t.Fatalf("call before connect: %v", err)
	}
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(ctx); !errors.As(err, &se) || se.State != host.StateAlreadyInitialised {
		t.Fatalf("second connect: %v", err)
	}
	if _, err := c.CLI().SendCommand(ctx, "x"); err != nil {
		t.Fatal(err)
	}
}

func TestRecycleReusesProcess(t *testing.T) {
	h, _ := newHost(t, testenv.PluginDir(t, "testplugin"), nil)
	var pids []int
	for i := 0; i < 3; i++ {
		c := mustOpen(t, h, "r1", nil)
		pids = append(pids, pidOf(t, c))
		c.Close()
	}
	if pids[0] != pids[1] || pids[1] != pids[2] {
		t.Fatalf("recycle should reuse the process: pids %v", pids)
	}
}

func TestOnCloseKill(t *testing.T) {
	h, _ := newHost(t, testenv.PluginDir(t, "testplugin"), func(c *host.Config) {
		c.Plugins = map[string]host.PluginConfig{"testplugin": {Sessions: sdk.SessionPolicy{OnClose: "kill"}}}
	})
	c := mustOpen(t, h, "r1", nil)
	p1 := pidOf(t, c)
	c.Close()
	if processAlive(p1) {
		t.Fatalf("process %d still alive after close with on_close kill", p1)
	}
	c = mustOpen(t, h, "r1", nil)
	defer c.Close()
	if p2 := pidOf(t, c); p2 == p1 {
		t.Fatalf("on_close kill reused pid %d", p1)
	}
}

func TestMaxUsesRecycles(t *testing.T) {
	h, _ := newHost(t, testenv.PluginDir(t, "testplugin"), func(c *host.Config) {
		c.Plugins = map[string]host.PluginConfig{"testplugin": {Sessions: sdk.SessionPolicy{MaxUses: 2}}}
	})
	var pids []int
	for i := 0; i < 4; i++ {
		c := mustOpen(t, h, "r1", nil)
		pids = append(pids, pidOf(t, c))
		c.Close()
	}
	if pids[0] != pids[1] || pids[2] != pids[3] || pids[1] == pids[2] {
		t.Fatalf("max_uses 2: want two sessions per process, got pids %v", pids)
	}
	if processAlive(pids[0]) {
		t.Fatalf("process %d outlived max_uses", pids[0])
	}
}

func TestPerProcessMultiplexes(t *testing.T) {
	h, _ := newHost(t, testenv.PluginDir(t, "testplugin"), func(c *host.Config) {
		c.Plugins = map[string]host.PluginConfig{"testplugin": {Sessions: sdk.SessionPolicy{PerProcess: 4}}}
	})
	ctx := context.Background()
	var conns []*host.Conn
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := h.Open(ctx, device(fmt.Sprint("r", i), nil), testReq)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}()
	}
	wg.Wait()
	pids := map[int]int{}
	for _, c := range conns {
		pids[pidOf(t, c)]++
	}
	for _, c := range conns {
		c.Close()
	}
	if len(pids) != 3 {
		t.Fatalf("10 sessions at 4 per process: want 3 processes, got %v", pids)
	}
}

func TestCrashMidCall(t *testing.T) {
	h, _ := newHost(t, testenv.PluginDir(t, "testplugin"), func(c *host.Config) {
		c.Plugins = map[string]host.PluginConfig{"testplugin": {Sessions: sdk.SessionPolicy{PerProcess: 1}}}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := mustOpen(t, h, "crasher", map[string]string{"fault": "crash-on-call"})
	defer c.Close()
	start := time.Now()
	_, err := c.CLI().SendCommand(ctx, "show version")
	var se *host.StateError
	if !errors.As(err, &se) || se.State != host.StatePluginDied {
		t.Fatalf("crash mid-call: want State plugin died, got %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("crash took %s to report", time.Since(start))
	}
	if _, err := c.CLI().SendCommand(ctx, "again"); !errors.As(err, &se) || se.State != host.StatePluginDied {
		t.Fatalf("call on a dead process: %v", err)
	}
	c2, err := h.Open(ctx, device("ok", nil), testReq)
	if err != nil {
		t.Fatalf("open after crash: %v", err)
	}
	defer c2.Close()
	if _, err := c2.CLI().SendCommand(ctx, "show version"); err != nil {
		t.Fatal(err)
	}
}

func TestHungPluginKilledAtDeadline(t *testing.T) {
	h, _ := newHost(t, testenv.PluginDir(t, "testplugin"), func(c *host.Config) {
		c.Plugins = map[string]host.PluginConfig{"testplugin": {Sessions: sdk.SessionPolicy{PerProcess: 1}}}
	})
	ctx := context.Background()
	other := mustOpen(t, h, "other", nil)
	defer other.Close()
	c := mustOpen(t, h, "hung", map[string]string{"fault": "hang-on-call"})
	defer c.Close()
	hungPID := c.Plugin().PID
	cctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.CLI().SendCommand(cctx, "show version")
	if err == nil {
		t.Fatal("hung call returned no error")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("hung call returned after %s", d)
	}
	// The process answers Health (only the session is stuck), so this is a
	// timeout, not a dead plugin; the other session is unaffected.
	if host.Kind(err) != "operation" && host.Kind(err) != "state" {
		t.Fatalf("hung call: unexpected error %v", err)
	}
	if _, err := other.CLI().SendCommand(ctx, "show version"); err != nil {
		t.Fatalf("other session affected: %v", err)
	}
	_ = hungPID
}

// TestStoppedProcessReplaced: a plugin process that stops answering
// altogether (SIGSTOP) is killed at the call's deadline, its callers get a
// State error, and the next open gets a new process; sessions in other
// processes are unaffected.
func TestStoppedProcessReplaced(t *testing.T) {
	h, _ := newHost(t, testenv.PluginDir(t, "testplugin"), func(c *host.Config) {
		c.Plugins = map[string]host.PluginConfig{"testplugin": {Sessions: sdk.SessionPolicy{PerProcess: 1}}}
	})
	ctx := context.Background()
	other := mustOpen(t, h, "other", nil)
	defer other.Close()
	c := mustOpen(t, h, "victim", nil)
	defer c.Close()
	pid := c.Plugin().PID
	testenv.Stop(t, pid)
	cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.CLI().SendCommand(cctx, "show version")
	var se *host.StateError
	if !errors.As(err, &se) || se.State != host.StatePluginDied {
		t.Fatalf("stopped plugin: want State plugin died, got %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("took %s to give up on a stopped plugin", d)
	}
	if !testenv.WaitPIDsGone(t, []int{pid}, 3*time.Second) {
		t.Fatalf("stopped plugin %d was not killed", pid)
	}
	if _, err := other.CLI().SendCommand(ctx, "show version"); err != nil {
		t.Fatalf("other process affected: %v", err)
	}
	c2, err := h.Open(ctx, device("next", nil), testReq)
	if err != nil {
		t.Fatalf("open after replacement: %v", err)
	}
	defer c2.Close()
	if c2.Plugin().PID == pid {
		t.Fatal("new session went to the killed process")
	}
}

func TestProcessFaults(t *testing.T) {
	cases := []struct {
		mode     string
		kind     string
		contains string
	}{
		{"garbage-stdout", "creation", "stdout"},
		{"wrong-protocol", "registration", "protocol"},
		{"describe-mismatch", "registration", "contradicts its manifest"},
		{"exit-at-start", "creation", "exited"},
	}
	for _, tc := range cases {
		t.Run(tc.mode, func(t *testing.T) {
			h, _ := newHost(t, testenv.PluginDirWithMode(t, tc.mode), nil)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := h.Open(ctx, device("r1", nil), testReq)
			if host.Kind(err) != tc.kind || !strings.Contains(err.Error(), tc.contains) {
				t.Fatalf("want %s error mentioning %q, got %s: %v", tc.kind, tc.contains, host.Kind(err), err)
			}
			if !strings.Contains(err.Error(), "r1") {
				t.Errorf("error does not name the device: %v", err)
			}
		})
	}
}

func TestChecksumMismatch(t *testing.T) {
	dir := testenv.PluginDir(t, "testplugin")
	testenv.EditManifest(t, dir, "testplugin", func(m *sdk.Manifest) { m.SHA256 = strings.Repeat("ab", 32) })
	_, err := host.New(host.Config{PluginDirs: []string{dir}})
	var re *host.RegistrationError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "sha256") {
		t.Fatalf("checksum mismatch at discovery: want a registration error about sha256, got %v", err)
	}
}

// TestBinaryReplacedAfterDiscovery: the checksum is checked again before
// every launch, so a binary swapped after New is refused.
func TestBinaryReplacedAfterDiscovery(t *testing.T) {
	dir := testenv.PluginDir(t, "testplugin")
	binary := filepath.Join(dir, "testplugin", "testplugin")
	sum := testenv.FileSHA256(t, binary)
	testenv.EditManifest(t, dir, "testplugin", func(m *sdk.Manifest) { m.SHA256 = sum })
	h, _ := newHost(t, dir, nil)
	data, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(binary)
	if err := os.WriteFile(binary, append(data, 0), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = h.Open(context.Background(), device("r1", nil), testReq)
	var re *host.RegistrationError
	if !errors.As(err, &re) || re.Field != "sha256" {
		t.Fatalf("replaced binary: want a registration error on sha256, got %v", err)
	}
	if len(testenv.PluginPIDs(t, binary)) != 0 {
		t.Fatal("a replaced binary was started")
	}
}

func TestAuthFailureIsCreation(t *testing.T) {
	h, _ := newHost(t, testenv.PluginDir(t, "testplugin"), nil)
	_, err := h.Open(context.Background(), device("r1", map[string]string{"fault": "auth-fail"}), testReq)
	var ce *host.CreationError
	if !errors.As(err, &ce) || ce.Retryable {
		t.Fatalf("auth failure: want non-retryable Creation, got %v", err)
	}
	_, err = h.Open(context.Background(), device("r1", map[string]string{"fault": "unreachable"}), testReq)
	if !errors.As(err, &ce) || !ce.Retryable || !host.Retryable(err) {
		t.Fatalf("unreachable: want retryable Creation, got %v", err)
	}
}

func TestNoSecretsInLogs(t *testing.T) {
	h, logs := newHost(t, testenv.PluginDir(t, "testplugin"), nil)
	ctx := context.Background()
	c := mustOpen(t, h, "r1", nil)
	if _, err := c.CLI().SendCommand(ctx, "echo-secret"); err != nil {
		t.Fatal(err)
	}
	c.Close()
	h.Close() // flushes the plugin's stderr into the log
	out := logs.String()
	if !strings.Contains(out, sdk.Redacted) {
		t.Fatalf("the plugin's trace line with the secret did not reach the host log:\n%s", out)
	}
	if strings.Contains(out, secret) {
		t.Fatalf("password in the log:\n%s", out)
	}
	if os.Getenv("NETYARD_SHOW_LOG") != "" {
		t.Log(out)
	}
}

func TestLargeOutputCrosses(t *testing.T) {
	h, _ := newHost(t, testenv.PluginDir(t, "testplugin"), nil)
	ctx := context.Background()
	c := mustOpen(t, h, "r1", nil)
	defer c.Close()
	r, err := c.CLI().SendCommand(ctx, "big 67108864")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Result) != 64<<20 {
		t.Fatalf("got %d bytes, want 64 MiB", len(r.Result))
	}
}

func TestCloseLeavesNothing(t *testing.T) {
	dir := testenv.PluginDir(t, "testplugin")
	fds := testenv.OpenFDs(t)
	h, err := host.New(host.Config{PluginDirs: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		c := mustOpen(t, h, fmt.Sprint("r", i), nil)
		if i%2 == 0 {
			c.Close()
		}
	}
	h.Close()
	testenv.WaitNoProcesses(t, filepath.Join(dir, "testplugin", "testplugin"), 3*time.Second)
	if n := testenv.OpenFDs(t); n > fds {
		t.Fatalf("fd leak: %d open before, %d after Host.Close", fds, n)
	}
	if _, err := h.Open(ctx, device("late", nil), testReq); host.Kind(err) != "state" {
		t.Fatalf("open after Host.Close: %v", err)
	}
}

// TestHostSIGKILLLeavesNoPlugins runs a host in a child process, kills it
// with SIGKILL while it holds sessions, and checks its plugins exit.
func TestHostSIGKILLLeavesNoPlugins(t *testing.T) {
	dir := testenv.PluginDir(t, "testplugin")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "NETYARD_TEST_HOST_CHILD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := out.Read(buf)
	if !strings.HasPrefix(string(buf[:n]), "ready") {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child host did not get ready: %q", buf[:n])
	}
	binary := filepath.Join(dir, "testplugin", "testplugin")
	if len(testenv.PluginPIDs(t, binary)) == 0 {
		t.Fatal("child host started no plugin")
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	testenv.WaitNoProcesses(t, binary, 2*time.Second)
}

func hostChild() {
	dir := os.Getenv("NETYARD_TEST_HOST_CHILD")
	h, err := host.New(host.Config{PluginDirs: []string{dir},
		Plugins: map[string]host.PluginConfig{"testplugin": {Sessions: sdk.SessionPolicy{PerProcess: 4}}}})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	for i := 0; i < 10; i++ {
		c, err := h.Open(context.Background(), device("r"+strconv.Itoa(i), nil), testReq)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		if i == 0 {
			_, _ = c.CLI().SendCommand(context.Background(), "spawn-child")
		}
	}
	fmt.Println("ready")
	time.Sleep(time.Minute)
}

func processAlive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	return len(f) > 2 && f[2] != "Z"
}

func TestIdleTimeoutStopsProcess(t *testing.T) {
	h, _ := newHost(t, testenv.PluginDir(t, "testplugin"), func(c *host.Config) {
		c.Plugins = map[string]host.PluginConfig{"testplugin": {Sessions: sdk.SessionPolicy{IdleTimeout: sdk.Duration(200 * time.Millisecond)}}}
	})
	c := mustOpen(t, h, "r1", nil)
	pid := pidOf(t, c)
	c.Close()
	if !testenv.WaitPIDsGone(t, []int{pid}, 3*time.Second) {
		t.Fatalf("idle process %d still running", pid)
	}
	if st := h.Stats(); len(st) != 1 || st[0].Processes != 0 {
		t.Fatalf("stats after idle stop: %+v", st)
	}
}

// TestNotImplementedWithoutRoundTrip: a capability the resolved entry does
// not declare fails in the host, with full context, before any call.
func TestNotImplementedWithoutRoundTrip(t *testing.T) {
	h, _ := newHost(t, testenv.PluginDir(t, "testplugin"), nil)
	ctx := context.Background()
	c := mustOpen(t, h, "r1", nil)
	defer c.Close()
	pid := c.Plugin().PID
	testenv.Stop(t, pid) // a round trip would now hang
	defer syscall.Kill(pid, syscall.SIGCONT)
	err := c.Invoke(ctx, "vendor.special", "frobnicate", map[string]int{"x": 1}, nil)
	var ni *host.NotImplementedError
	if !errors.As(err, &ni) || ni.Capability != "vendor.special" || ni.Plugin != "testplugin" || ni.Platform != "linux" || ni.DeviceID != "r1" {
		t.Fatalf("want NotImplemented with context, got %#v", err)
	}
}

func TestValidationListsEveryMissingField(t *testing.T) {
	h, _ := newHost(t, testenv.PluginDir(t, "testplugin"), nil)
	_, err := h.Open(context.Background(), host.Device{ID: "bare"}, testReq)
	var ve *host.ValidationError
	if !errors.As(err, &ve) || len(ve.Missing) != 4 {
		t.Fatalf("want a Validation error listing 4 fields, got %v", err)
	}
	if len(testenv.PluginPIDs(t, filepath.Join(h.Registry().Dirs()[0], "testplugin", "testplugin"))) != 0 {
		t.Fatal("validation failure launched a plugin")
	}
}

// TestOpenHonoursContextDuringSlowStart: a caller whose deadline passes
// while the plugin is still starting gets its error at the deadline; the
// launch goes on for the pool, and Host.Close waits for it.
func TestOpenHonoursContextDuringSlowStart(t *testing.T) {
	h, _ := newHost(t, testenv.PluginDirWithMode(t, "slow-start=1500ms"), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := h.Open(ctx, device("r1", nil), testReq)
	var ce *host.CreationError
	if !errors.As(err, &ce) || !ce.Retryable {
		t.Fatalf("want a retryable Creation error, got %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Open returned %s after its 200ms deadline", d)
	}
	c, err := h.Open(context.Background(), device("r2", nil), testReq)
	if err != nil {
		t.Fatalf("open once started: %v", err)
	}
	c.Close()
}
