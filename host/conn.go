package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/netyard/netyard/sdk"
	pb "github.com/netyard/netyard/shared/proto/netyard/v1"
)

// Conn is one device session in a plugin process. Its methods are safe for
// concurrent use; the plugin serialises calls on one session. A closed Conn
// answers State errors.
type Conn struct {
	h     *Host
	pool  *pool
	dev   Device
	id    string
	entry *Entry
	proc  *process
	sid   string

	mu        sync.Mutex
	connected bool
	closed    bool
}

// PluginInfo describes the plugin a Conn runs in.
type PluginInfo struct {
	Name, Version, Type, Library string
	Capabilities                 []string
	PID                          int
}

// DeviceID is the id used in errors and logs.
func (c *Conn) DeviceID() string { return c.id }

// Entry is the registry entry the connection was resolved to.
func (c *Conn) Entry() *Entry { return c.entry }

// Plugin describes the plugin serving this connection.
func (c *Conn) Plugin() PluginInfo {
	return PluginInfo{Name: c.entry.Plugin, Version: c.entry.Version, Type: c.entry.Type, Library: c.entry.Library,
		Capabilities: c.entry.Capabilities, PID: c.proc.pid}
}

// Connect connects a connection opened with Request.Deferred. Connecting
// twice is a State error (already initialised).
func (c *Conn) Connect(ctx context.Context) error {
	c.mu.Lock()
	switch {
	case c.closed:
		c.mu.Unlock()
		return c.stateErr(StateClosed, "Connect after Close")
	case c.connected:
		c.mu.Unlock()
		return c.stateErr(StateAlreadyInitialised, "the connection is already connected; open a new one instead")
	}
	c.mu.Unlock()
	err := c.do(ctx, "Connect", func(ctx context.Context) error {
		_, err := c.proc.rpc.Connect(ctx, &pb.ConnectRequest{SessionId: c.sid})
		return err
	})
	if err == nil {
		c.mu.Lock()
		c.connected = true
		c.mu.Unlock()
	}
	return err
}

// Alive reports whether the device connection is up.
func (c *Conn) Alive(ctx context.Context) (bool, error) {
	if err := c.usable(""); err != nil {
		return false, err
	}
	var alive bool
	err := c.do(ctx, "Alive", func(ctx context.Context) error {
		r, err := c.proc.rpc.Alive(ctx, &pb.AliveRequest{SessionId: c.sid})
		alive = r.GetAlive()
		return err
	})
	return alive, err
}

// Close ends the session and returns its slot to the pool (or kills the
// process, per on_close and max_uses). It is idempotent.
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	var err error
	if dead, _ := c.pool.isDead(c.proc); !dead {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = c.do(ctx, "Close", func(ctx context.Context) error {
			_, err := c.proc.rpc.CloseSession(ctx, &pb.CloseSessionRequest{SessionId: c.sid})
			return err
		})
		cancel()
	}
	c.pool.release(c.proc)
	var se *StateError
	if errors.As(err, &se) && se.State == StatePluginDied {
		err = nil // the session is gone with its process: closed is closed
	}
	return err
}

// usable checks the connection may carry a call of capability cap ("" for
// none); missing capabilities fail here, without a round trip.
func (c *Conn) usable(capability string) error {
	c.mu.Lock()
	closed, connected := c.closed, c.connected
	c.mu.Unlock()
	if closed {
		return c.stateErr(StateClosed, "the connection was closed")
	}
	if !connected {
		return c.stateErr(StateNotInitialised, "the connection was opened deferred; call Connect first")
	}
	if dead, why := c.pool.isDead(c.proc); dead {
		return c.stateErr(StatePluginDied, fmt.Sprintf("its plugin process (pid %d) is gone (%s); open a new connection", c.proc.pid, why))
	}
	return nil
}

func (c *Conn) notImplemented(proxy, method, capability string) error {
	return &NotImplementedError{base: base{DeviceID: c.id}, Proxy: proxy, Method: method, Capability: capability,
		Platform: c.dev.Platform, Plugin: c.entry.Plugin}
}

func (c *Conn) stateErr(state, reason string) error {
	return &StateError{base: base{DeviceID: c.id}, Plugin: c.entry.Plugin, State: state, Reason: reason}
}

// capCall runs one capability call: local checks, deadline, error mapping.
func (c *Conn) capCall(ctx context.Context, proxy, method, capability string, f func(ctx context.Context) error) error {
	if !c.entry.HasCapability(capability) {
		return c.notImplemented(proxy, method, capability)
	}
	if err := c.usable(capability); err != nil {
		return err
	}
	return c.do(ctx, method, f)
}

// do runs f against the plugin with the host's default deadline when ctx has
// none, and turns what comes back into the host's typed errors.
func (c *Conn) do(ctx context.Context, op string, f func(ctx context.Context) error) error {
	cctx, cancel := ctx, context.CancelFunc(func() {})
	if _, ok := ctx.Deadline(); !ok {
		cctx, cancel = context.WithTimeout(ctx, c.h.cfg.CallTimeout)
	}
	err := f(cctx)
	cancel()
	if err == nil {
		return nil
	}
	return c.mapErr(ctx, cctx, op, err)
}

func (c *Conn) mapErr(ctx, cctx context.Context, op string, err error) error {
	b := base{DeviceID: c.id}
	plugin := c.entry.Plugin
	if e, ok := sdk.FromStatus(err); ok {
		pb := base{DeviceID: c.id, pluginErr: e}
		switch e.Kind {
		case sdk.KindCreation:
			return &CreationError{base: pb, Plugin: plugin, Reason: e.Message, Retryable: e.Retryable}
		case sdk.KindState:
			return &StateError{base: pb, Plugin: plugin, State: stateFromMessage(e.Message), Reason: e.Message}
		case sdk.KindNotImplemented:
			return &NotImplementedError{base: pb, Proxy: "plugin", Method: or(e.Details["method"], op),
				Capability: e.Details["capability"], Platform: c.dev.Platform, Plugin: plugin}
		case sdk.KindValidation:
			return &ValidationError{base: pb, Invalid: map[string]string{"device": e.Message}}
		case sdk.KindRegistration:
			return &RegistrationError{base: pb, Plugin: plugin, File: c.entry.Manifest.Path, Reason: e.Message}
		default:
			return &OperationError{base: pb, Plugin: plugin, Op: op, Reason: e.Message, Retryable: e.Retryable}
		}
	}
	code := status.Code(err)
	switch {
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled):
		return &OperationError{base: base{DeviceID: c.id, Cause: ctx.Err()}, Plugin: plugin, Op: op, Reason: "cancelled by the caller"}
	case code == codes.DeadlineExceeded || cctx.Err() != nil:
		// A slow device or a hung plugin? Ask the process; if it cannot
		// answer either, it is hung: kill it so it is replaced.
		if !c.healthy() {
			c.pool.markDead(c.proc, "hung past a call's deadline")
			return &StateError{base: b, Plugin: plugin, State: StatePluginDied,
				Reason: fmt.Sprintf("%s: the plugin process (pid %d) stopped answering and was killed; open a new connection", op, c.proc.pid)}
		}
		return &OperationError{base: b, Plugin: plugin, Op: op, Reason: "deadline exceeded", Retryable: true}
	case code == codes.Unavailable || code == codes.Canceled || code == codes.Internal && c.proc.client.Exited():
		c.pool.markDead(c.proc, "crashed")
		return &StateError{base: b, Plugin: plugin, State: StatePluginDied,
			Reason: fmt.Sprintf("%s: the plugin process (pid %d) died; open a new connection", op, c.proc.pid)}
	case code == codes.ResourceExhausted:
		return &OperationError{base: b, Plugin: plugin, Op: op, Reason: "reply larger than the host's MaxMessageSize: " + status.Convert(err).Message()}
	}
	return &OperationError{base: b, Plugin: plugin, Op: op, Reason: "plugin call failed: " + status.Convert(err).Message()}
}

// healthy asks the plugin process for a sign of life with a short deadline.
func (c *Conn) healthy() bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := c.proc.rpc.Health(ctx, &pb.HealthRequest{})
	return err == nil
}

func stateFromMessage(msg string) string {
	for _, s := range []string{StateAlreadyInitialised, StateNotInitialised, StateClosed} {
		if containsFold(msg, s) {
			return s
		}
	}
	switch {
	case containsFold(msg, "already connected"):
		return StateAlreadyInitialised
	case containsFold(msg, "not connected"):
		return StateNotInitialised
	}
	return StateClosed
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func withDevice(err error, id string) error {
	switch e := err.(type) {
	case *CreationError:
		e.DeviceID = id
	case *RegistrationError:
		e.DeviceID = id
	case *StateError:
		e.DeviceID = id
	}
	return err
}

func openRequest(d Device, e *Entry, deferred bool) *pb.OpenSessionRequest {
	return &pb.OpenSessionRequest{Device: sdk.DeviceToProto(d), Type: e.Type, Library: e.Library, Deferred: deferred}
}

// Invoke calls a capability outside the typed contract: in is marshalled to
// JSON, the reply unmarshalled into out (when non-nil).
func (c *Conn) Invoke(ctx context.Context, capability, method string, in, out any) error {
	data, err := json.Marshal(in)
	if err != nil {
		return &ValidationError{base: base{DeviceID: c.id}, Invalid: map[string]string{"invoke input": err.Error()}}
	}
	var reply []byte
	err = c.capCall(ctx, "Conn", "Invoke "+method, capability, func(ctx context.Context) error {
		r, err := c.proc.rpc.Invoke(ctx, &pb.InvokeRequest{SessionId: c.sid, Capability: capability, Method: method, Json: data})
		reply = r.GetJson()
		return err
	})
	if err != nil || out == nil {
		return err
	}
	if err := json.Unmarshal(reply, out); err != nil {
		return &OperationError{Plugin: c.entry.Plugin, Op: "Invoke " + method, Reason: "reply is not the expected JSON", base: base{DeviceID: c.id, Cause: err}}
	}
	return nil
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
