package host

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/netyard/netyard/sdk"
	pb "github.com/netyard/netyard/shared/proto/netyard/v1"
)

// HostProtocols are the wire protocol versions this host speaks.
var HostProtocols = []int{sdk.ProtocolVersion}

// process is one running plugin binary.
type process struct {
	plugin string
	client *plugin.Client
	rpc    pb.PluginServiceClient
	pid    int

	// Guarded by the pool's mutex.
	ready     chan struct{} // closed when the launch finished (err says how)
	err       error
	sessions  int // open sessions
	assigned  int // sessions ever assigned (max_uses)
	idleSince time.Time
	dead      bool
	deadWhy   string

	killOnce sync.Once
}

// launch starts a plugin binary, checks it and returns it ready to serve.
// Nothing is pooled here; see pool.
func (h *Host) launch(ctx context.Context, m *sdk.Manifest) (*process, error) {
	if err := h.reg.CheckBinary(m); err != nil {
		return nil, err
	}
	versions := map[int]plugin.PluginSet{}
	for _, v := range m.Protocol {
		if slices.Contains(HostProtocols, v) {
			versions[v] = plugin.PluginSet{sdk.PluginSetName: &sdk.GRPCPlugin{}}
		}
	}
	if len(versions) == 0 {
		return nil, &RegistrationError{Plugin: m.Name, File: m.Path, Field: "protocol",
			Reason: fmt.Sprintf("the manifest lists protocol versions %v; this host speaks %v: upgrade the plugin or the host", m.Protocol, HostProtocols)}
	}

	cmd := exec.Command(m.CommandPath())
	cmd.Dir = filepath.Dir(m.Path)
	cmd.Env = append(cmd.Env,
		sdk.EnvHostPID+"="+strconv.Itoa(os.Getpid()),
		sdk.EnvLogLevel+"="+strings.ToLower(h.log.GetLevel().String()))
	if pc, ok := h.cfg.Plugins[m.Name]; ok {
		cmd.Env = append(cmd.Env, pc.Env...)
	}
	// Its own process group, so that killing it also kills what it spawned
	// (go-plugin's Kill reaches the direct child only).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}

	// The pid is known only once go-plugin has started the process; the
	// logger's pid field reads it when each line is written.
	pid := &lazyPID{}
	start := h.cfg.StartTimeout
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < start {
		start = max(time.Until(dl), time.Millisecond)
	}
	cc := &plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		VersionedPlugins: versions,
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           h.log.Named(m.Name).With("pid", pid),
		StartTimeout:     start,
		GRPCDialOptions: []grpc.DialOption{grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(h.cfg.MaxMessageSize), grpc.MaxCallSendMsgSize(h.cfg.MaxMessageSize))},
	}
	var tlsPipe *os.File
	switch h.cfg.TLS {
	case "off":
	case "auto":
		cc.AutoMTLS = true
	default:
		mat, err := h.tls.material()
		if err != nil {
			return nil, &CreationError{Plugin: m.Name, Reason: "cannot prepare TLS for the plugin", base: base{Cause: err}}
		}
		r, w, err := os.Pipe()
		if err != nil {
			return nil, &CreationError{Plugin: m.Name, Reason: "cannot prepare TLS for the plugin", Retryable: true, base: base{Cause: err}}
		}
		_, werr := w.Write(mat)
		w.Close()
		if werr != nil {
			r.Close()
			return nil, &CreationError{Plugin: m.Name, Reason: "cannot hand TLS material to the plugin", base: base{Cause: werr}}
		}
		tlsPipe = r
		cmd.ExtraFiles = []*os.File{r}
		cmd.Env = append(cmd.Env, sdk.EnvTLSFD+"=3")
		cc.TLSConfig = h.tls.client.Clone()
	}

	tail := &tailBuffer{max: 2048}
	cc.Stderr = tail
	client := plugin.NewClient(cc)
	p := &process{plugin: m.Name, client: client, ready: make(chan struct{})}
	rpcClient, err := client.Client()
	if tlsPipe != nil {
		tlsPipe.Close()
	}
	if rc := client.ReattachConfig(); rc != nil {
		p.pid = rc.Pid
	} else if cmd.Process != nil {
		p.pid = cmd.Process.Pid // started, but no handshake
	}
	pid.v.Store(int64(p.pid))
	if err != nil {
		// SIGKILL the whole group first: a child of the plugin holding its
		// stdout would otherwise survive, and client.Kill would wait for it
		// to close stdout (go-plugin #136), blocking this launch meanwhile.
		p.killNow()
		return nil, h.startError(m, err, tail.String())
	}
	raw, err := rpcClient.Dispense(sdk.PluginSetName)
	if err != nil {
		p.kill()
		return nil, &CreationError{Plugin: m.Name, Reason: "plugin does not serve the netyard connection service", base: base{Cause: err}}
	}
	p.rpc = raw.(pb.PluginServiceClient)

	dctx, cancel := context.WithTimeout(ctx, h.cfg.StartTimeout)
	defer cancel()
	desc, err := p.rpc.Describe(dctx, &pb.DescribeRequest{})
	if err != nil {
		p.kill()
		return nil, &CreationError{Plugin: m.Name, Reason: "plugin did not answer Describe", Retryable: true, base: base{Cause: err}}
	}
	if err := checkDescription(m, sdk.DescriptionFromProto(desc)); err != nil {
		p.kill()
		return nil, err
	}
	h.log.Debug("plugin started", "plugin", m.Name, "pid", p.pid, "protocol", client.NegotiatedVersion())
	return p, nil
}

// startError explains a failed launch or handshake; stderr is the end of
// what the plugin wrote there, which usually says why.
func (h *Host) startError(m *sdk.Manifest, err error, stderr string) error {
	msg := err.Error()
	lower := strings.ToLower(msg)
	said := ""
	if s := strings.TrimSpace(stderr); s != "" {
		said = "; the plugin's stderr ends with: " + s
	}
	switch {
	case strings.Contains(lower, "incompatible api version"):
		return &RegistrationError{Plugin: m.Name, File: m.Path, Field: "protocol",
			Reason: fmt.Sprintf("the binary speaks another wire protocol than this host %v and its manifest %v (%s): rebuild the plugin against a matching sdk", HostProtocols, m.Protocol, firstLine(msg))}
	case strings.Contains(msg, "Failed to read any lines from plugin's stdout"):
		return &CreationError{Plugin: m.Name, Reason: "the plugin exited during start-up, before the go-plugin handshake" + said}
	case strings.Contains(msg, "Unrecognized remote plugin message"):
		return &CreationError{Plugin: m.Name,
			Reason: fmt.Sprintf("the plugin wrote to stdout before the go-plugin handshake line (%s); plugins must print nothing before sdk.Serve and log through the SDK's logger on stderr", firstLine(strings.TrimPrefix(msg, "Unrecognized remote plugin message: ")))}
	case strings.Contains(lower, "timeout while waiting for plugin to start"):
		return &CreationError{Plugin: m.Name, Retryable: true,
			Reason: fmt.Sprintf("the plugin did not complete the handshake within the start timeout (%s)%s", h.cfg.StartTimeout, said)}
	case strings.Contains(lower, "exited before we could connect"), strings.Contains(lower, "plugin exited"):
		return &CreationError{Plugin: m.Name, Reason: "the plugin exited during start-up" + said}
	case errors.Is(err, plugin.ErrChecksumsDoNotMatch):
		return &RegistrationError{Plugin: m.Name, File: m.Path, Field: "sha256", Reason: "binary checksum does not match"}
	}
	return &CreationError{Plugin: m.Name, Reason: "plugin failed to start: " + firstLine(msg) + said}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// checkDescription compares what the binary says about itself with its
// manifest: name, version and every provides entry.
func checkDescription(m *sdk.Manifest, d sdk.Description) error {
	bad := func(field, reason string) error {
		return &RegistrationError{Plugin: m.Name, File: m.Path, Field: field,
			Reason: "the binary contradicts its manifest: " + reason}
	}
	if d.Name != m.Name {
		return bad("name", fmt.Sprintf("binary reports name %q, manifest says %q", d.Name, m.Name))
	}
	if d.Version != m.Version {
		return bad("version", fmt.Sprintf("binary reports version %q, manifest says %q", d.Version, m.Version))
	}
	got := map[string]sdk.Provide{}
	for _, p := range d.Provides {
		got[p.Type+"/"+p.Library] = p
	}
	for i, e := range m.Provides {
		key := e.Type + "/" + e.Library
		p, ok := got[key]
		if !ok {
			return bad(fmt.Sprintf("provides[%d]", i), fmt.Sprintf("binary does not serve %s (it serves %v)", key, slices.Sorted(maps.Keys(got))))
		}
		delete(got, key)
		if !sameSet(p.Capabilities, e.Capabilities) {
			return bad(fmt.Sprintf("provides[%d].capabilities", i), fmt.Sprintf("binary reports %v for %s, manifest says %v", p.Capabilities, key, e.Capabilities))
		}
		if !sameSet(p.Platforms, e.Platforms) {
			return bad(fmt.Sprintf("provides[%d].platforms", i), fmt.Sprintf("binary reports %v for %s, manifest says %v", p.Platforms, key, e.Platforms))
		}
	}
	if len(got) > 0 {
		return bad("provides", fmt.Sprintf("binary also serves %v, which the manifest does not list", slices.Sorted(maps.Keys(got))))
	}
	return nil
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}

// kill stops the process and everything it spawned. A process that may be
// hung gets no graceful shutdown: its whole group is SIGKILLed first.
func (p *process) kill() { p.stop(false) }

func (p *process) killNow() { p.stop(true) }

func (p *process) stop(now bool) {
	p.killOnce.Do(func() {
		if now && p.pid > 0 {
			_ = syscall.Kill(-p.pid, syscall.SIGKILL)
		}
		p.client.Kill()
		if p.pid > 0 {
			_ = syscall.Kill(-p.pid, syscall.SIGKILL) // grandchildren (go-plugin #136)
		}
	})
}

// lazyPID is a log field whose value is set after the logger is made.
type lazyPID struct{ v atomic.Int64 }

func (l *lazyPID) String() string { return strconv.FormatInt(l.v.Load(), 10) }

// MarshalJSON writes the pid as a number in JSON logs.
func (l *lazyPID) MarshalJSON() ([]byte, error) { return []byte(l.String()), nil }
