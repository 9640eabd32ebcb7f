package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/netyard/netyard/internal/rfc6242"
	"github.com/netyard/netyard/sdk"
)

// session is one device session: sdk.Session, sdk.NETCONF, sdk.DeviceInfoGetter.
type session struct {
	dev  sdk.Device
	opts options
	log  sdk.Logger

	mu     sync.Mutex
	c      *client
	closed bool
}

var (
	_ sdk.Session          = (*session)(nil)
	_ sdk.NETCONF          = (*session)(nil)
	_ sdk.DeviceInfoGetter = (*session)(nil)
	_ sdk.Aliver           = (*session)(nil)
)

func newSession(req sdk.OpenRequest) (*session, error) {
	o, err := parseOptions(req.Device.Options)
	if err != nil {
		var e *sdk.Error
		if errors.As(err, &e) {
			e.Message = fmt.Sprintf("device %s: %s", req.Device.ID, e.Message)
		}
		return nil, err
	}
	return &session{dev: req.Device, opts: o, log: req.Logger}, nil
}

// Connect dials the device and exchanges hellos.
func (s *session) Connect(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return sdk.StateError("device %s: session closed", s.dev.ID)
	case s.c != nil:
		return sdk.StateError("device %s: already connected", s.dev.ID)
	}
	c, err := dial(ctx, dialConfig{dev: s.dev, opts: s.opts, log: s.log})
	if err != nil {
		return err
	}
	s.c = c
	if s.log != nil {
		s.log.Debug("netconf session up", "session_id", c.sessionID, "framing", c.framing.String(), "capabilities", len(c.serverCaps))
	}
	return nil
}

// Close ends the NETCONF session (close-session) and the SSH connection.
func (s *session) Close(ctx context.Context) error {
	s.mu.Lock()
	c := s.c
	s.closed = true
	s.mu.Unlock()
	if c != nil {
		c.close(ctx)
	}
	return nil
}

// Alive reports whether the NETCONF session is still up.
func (s *session) Alive(context.Context) bool {
	c, err := s.client()
	return err == nil && c.alive()
}

func (s *session) client() (*client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return nil, sdk.StateError("device %s: session closed", s.dev.ID)
	case s.c == nil:
		return nil, sdk.StateError("device %s: not connected", s.dev.ID)
	}
	return s.c, nil
}

// call runs one RPC and parses its reply. rpc-errors are in the reply; a Go
// error means the RPC could not be carried out.
func (s *session) call(ctx context.Context, op, body string) (sdk.NetconfReply, reply, error) {
	c, err := s.client()
	if err != nil {
		return sdk.NetconfReply{}, reply{}, err
	}
	if s.opts.rpcTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.opts.rpcTimeout)
		defer cancel()
	}
	start := time.Now()
	text, err := c.rpc(ctx, body)
	if err != nil {
		return sdk.NetconfReply{}, reply{}, s.opErr(op, err)
	}
	r, err := parseReply(text)
	if err != nil {
		return sdk.NetconfReply{}, reply{}, sdk.OperationError(false, err, "device %s: %s", s.dev.ID, op)
	}
	out := sdk.NetconfReply{Data: r.data, OK: r.ok, Errors: r.errors, Elapsed: time.Since(start), SessionID: c.sessionID}
	if op == "rpc" {
		out.Data = text
	}
	return out, r, nil
}

func (s *session) opErr(op string, err error) error {
	var e *sdk.Error
	switch {
	case errors.As(err, &e):
		return err
	case errors.Is(err, rfc6242.ErrMessageTooLarge):
		return sdk.OperationError(false, err, "device %s: %s: reply larger than %s=%d", s.dev.ID, op, OptMaxReplySize, s.opts.maxReply)
	case errors.Is(err, context.DeadlineExceeded):
		return sdk.OperationError(true, err, "device %s: %s: no reply in time", s.dev.ID, op)
	case errors.Is(err, context.Canceled):
		return sdk.OperationError(false, err, "device %s: %s: cancelled", s.dev.ID, op)
	case errors.Is(err, errClosed):
		return sdk.StateError("device %s: %s: %v", s.dev.ID, op, err)
	default:
		return sdk.OperationError(true, err, "device %s: %s", s.dev.ID, op)
	}
}

// ServerCapabilities returns the capabilities of the server's hello.
func (s *session) ServerCapabilities(context.Context) ([]string, error) {
	c, err := s.client()
	if err != nil {
		return nil, err
	}
	return append([]string(nil), c.serverCaps...), nil
}
