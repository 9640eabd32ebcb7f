// Package netconf is the simulator's NETCONF server (RFC 6241 over the SSH
// "netconf" subsystem, RFC 6242 framing) on a datastore.Store.
//
// A Server is shared by all sessions of one simulated device: it hands out
// session ids and finds sessions for kill-session. The SSH server calls
// ServeSession for each "netconf" subsystem request.
package netconf

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netyard/netyard/internal/rfc6242"
	"github.com/netyard/netyard/sim/datastore"
)

// BaseNS is the NETCONF base namespace.
const BaseNS = datastore.NetconfBaseNS

// Options are a session's fault knobs and protocol choices.
type Options struct {
	// Latency delays every reply.
	Latency time.Duration
	// DropAfter, when > 0, answers that many RPCs and then closes the
	// channel, without a reply, when the next RPC arrives.
	DropAfter int
	// Hang reads RPCs and never answers them.
	Hang bool
	// OutputSize, when > 0, pads get-config replies with synthetic
	// interfaces to at least this many bytes.
	OutputSize int
	// Base10Only advertises base:1.0 only, so the session keeps
	// end-of-message framing. Read at session start.
	Base10Only bool
	// Logger receives per-RPC debug logs; nil discards them. Read at
	// session start.
	Logger *slog.Logger
}

// ErrDropped is returned by ServeSession when Options.DropAfter closed the
// session.
var ErrDropped = errors.New("netconf: session dropped by fault injection")

// Server serves NETCONF sessions over one datastore.
type Server struct {
	store  *datastore.Store
	nextID atomic.Uint32

	mu       sync.Mutex
	sessions map[uint32]*session
}

// NewServer returns a server for store.
func NewServer(store *datastore.Store) *Server {
	return &Server{store: store, sessions: map[uint32]*session{}}
}

// Store returns the server's datastore.
func (s *Server) Store() *datastore.Store { return s.store }

// Sessions returns the ids of the sessions currently served.
func (s *Server) Sessions() []uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]uint32, 0, len(s.sessions))
	for id := range s.sessions {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Capability URIs the server advertises besides the base versions.
var capabilities = []string{
	"urn:ietf:params:netconf:capability:writable-running:1.0",
	"urn:ietf:params:netconf:capability:candidate:1.0",
	"urn:ietf:params:netconf:capability:confirmed-commit:1.1",
	"urn:ietf:params:netconf:capability:validate:1.1",
	"urn:ietf:params:netconf:capability:rollback-on-error:1.0",
	"urn:ietf:params:netconf:capability:startup:1.0",
	"urn:ietf:params:netconf:capability:xpath:1.0",
	"urn:ietf:params:xml:ns:yang:ietf-interfaces?module=ietf-interfaces&revision=2018-02-20",
	"urn:ietf:params:xml:ns:yang:ietf-ip?module=ietf-ip&revision=2018-02-22",
	"urn:ietf:params:xml:ns:yang:ietf-system?module=ietf-system&revision=2014-08-06",
	"urn:ietf:params:xml:ns:yang:iana-if-type?module=iana-if-type&revision=2017-01-19",
}

// Capabilities returns the capabilities a session with opts advertises: the
// same set with or without base:1.1 (clients such as ncclient gate
// test-option test-only on :validate:1.1 whatever the base version).
func Capabilities(opts Options) []string {
	caps := []string{rfc6242.Base10}
	if !opts.Base10Only {
		caps = append(caps, rfc6242.Base11)
	}
	return append(caps, capabilities...)
}

type session struct {
	srv    *Server
	id     uint32
	ch     io.ReadWriteCloser
	dec    *rfc6242.Decoder
	enc    *rfc6242.Encoder
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	killed atomic.Bool
}

// ServeSession runs one NETCONF session on an SSH channel (subsystem
// "netconf") until close-session, kill-session, EOF, or ctx is done. opts is
// read at session start; optsFn (may be nil) is called before every RPC so
// run-time fault changes apply. ServeSession closes ch before it returns,
// and releases the session's locks (and reverts its unconfirmed commit).
// It returns nil on an orderly end (close-session, EOF, kill-session).
func (s *Server) ServeSession(ctx context.Context, ch io.ReadWriteCloser, opts Options, optsFn func() Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer ch.Close()
	// Closing the channel is the only way to interrupt a blocked read.
	stop := context.AfterFunc(ctx, func() { ch.Close() })
	defer stop()

	sess := &session{srv: s, id: s.nextID.Add(1), ch: ch, ctx: ctx, cancel: cancel,
		dec: rfc6242.NewDecoder(ch), enc: rfc6242.NewEncoder(ch)}
	sess.log = opts.Logger
	if sess.log == nil {
		sess.log = slog.New(slog.DiscardHandler)
	}
	sess.log = sess.log.With("netconf_session", sess.id)
	s.mu.Lock()
	s.sessions[sess.id] = sess
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.sessions, sess.id)
		s.mu.Unlock()
		s.store.ReleaseSession(sess.id)
	}()
	err := sess.run(opts, optsFn)
	if sess.killed.Load() || (ctx.Err() != nil && errors.Is(err, io.ErrClosedPipe)) {
		return nil
	}
	return err
}

func (s *session) run(opts Options, optsFn func() Options) error {
	caps := Capabilities(opts)
	var hello bytes.Buffer
	hello.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<hello xmlns="` + BaseNS + `"><capabilities>`)
	for _, c := range caps {
		hello.WriteString("<capability>")
		_ = xml.EscapeText(&hello, []byte(c))
		hello.WriteString("</capability>")
	}
	hello.WriteString("</capabilities><session-id>" + strconv.FormatUint(uint64(s.id), 10) + "</session-id></hello>")
	if err := s.enc.Encode(hello.Bytes()); err != nil {
		return s.ioErr(err)
	}
	msg, err := s.dec.Decode()
	if err != nil {
		return s.ioErr(err)
	}
	peerCaps, err := parseHello(msg)
	if err != nil {
		s.log.Info("bad client hello, closing", "err", err)
		return err
	}
	f := rfc6242.Negotiate(caps, peerCaps)
	s.dec.SetFraming(f)
	s.enc.SetFraming(f)
	s.log.Debug("session started", "framing", f.String())

	for count := 1; ; count++ {
		msg, err := s.dec.Decode()
		if errors.Is(err, rfc6242.ErrMessageTooLarge) {
			if werr := s.replyErrors(nil, []*datastore.Error{{Type: "rpc", Tag: datastore.TagTooBig, Message: err.Error()}}); werr != nil {
				return s.ioErr(werr)
			}
			continue
		}
		if err != nil {
			return s.ioErr(err)
		}
		cur := opts
		if optsFn != nil {
			cur = optsFn()
		}
		if cur.DropAfter > 0 && count > cur.DropAfter {
			s.log.Info("dropping session", "after_rpcs", cur.DropAfter)
			return ErrDropped
		}
		if cur.Hang {
			s.log.Debug("hanging: rpc left unanswered")
			continue
		}
		if cur.Latency > 0 {
			t := time.NewTimer(cur.Latency)
			select {
			case <-t.C:
			case <-s.ctx.Done():
				t.Stop()
				return nil
			}
		}
		done, err := s.handle(msg, cur)
		if err != nil {
			return s.ioErr(err)
		}
		if done {
			return nil
		}
	}
}

// ioErr maps the end of the stream to an orderly end.
func (s *session) ioErr(err error) error {
	if errors.Is(err, io.EOF) || s.ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("netconf session %d: %w", s.id, err)
}

func parseHello(msg []byte) ([]string, error) {
	root, err := datastore.ParseXML(msg)
	if err != nil {
		return nil, fmt.Errorf("client hello: %w", err)
	}
	if root.Local != "hello" || root.Space != BaseNS {
		return nil, fmt.Errorf("client sent %s before hello", root.Local)
	}
	if root.Child(BaseNS, "session-id") != nil {
		return nil, errors.New("client hello carries a session-id")
	}
	var caps []string
	if c := root.Child(BaseNS, "capabilities"); c != nil {
		for _, cap := range c.Children {
			caps = append(caps, strings.TrimSpace(cap.Text))
		}
	}
	if !slices.Contains(caps, rfc6242.Base10) && !slices.Contains(caps, rfc6242.Base11) {
		return nil, errors.New("client hello advertises no base capability")
	}
	return caps, nil
}

func (s *session) kill() {
	s.killed.Store(true)
	s.cancel()
}
