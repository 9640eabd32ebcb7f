package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/netyard/netyard/internal/rfc6242"
	"github.com/netyard/netyard/sdk"
)

// baseNS is the NETCONF base namespace.
const baseNS = "urn:ietf:params:xml:ns:netconf:base:1.0"

// errClosed is the cause of calls on a client whose session has ended.
var errClosed = errors.New("netconf session closed")

// message is one message from the server, as the reader goroutine delivers
// it: the whole rpc-reply copied out of the decoder's buffer once, so every
// later slice of it (the <data> content) is free.
type message struct {
	text string
	err  error // a message over max_reply_size (the stream stays usable)
}

// client is one NETCONF session over one SSH connection. RPCs are
// serialised: NETCONF servers answer in order, and one reader goroutine
// hands every message to the RPC waiting for it. An idle client has no
// goroutine runnable: the reader sleeps in the SSH channel's Read.
type client struct {
	conn *ssh.Client
	ch   ssh.Channel
	enc  *rfc6242.Encoder

	serverCaps []string
	sessionID  uint32
	framing    rfc6242.Framing

	msgs chan message
	quit chan struct{} // closed by shutdown
	done chan struct{} // closed when the reader has stopped
	rerr error         // why the reader stopped; read after done

	mu     sync.Mutex // serialises RPCs: encoder, nextID, stale
	nextID uint64
	stale  int // replies still due to RPCs whose callers gave up
	// firstRPC is when the first RPC may be sent (hello_delay after our hello).
	firstRPC time.Time

	closeOnce sync.Once
}

// dialConfig is what dial needs beyond the device.
type dialConfig struct {
	dev  sdk.Device
	opts options
	log  sdk.Logger
}

// dial connects, opens the netconf subsystem and exchanges hellos. Errors are
// sdk creation errors saying whether a retry can help.
func dial(ctx context.Context, dc dialConfig) (*client, error) {
	dev, o := dc.dev, dc.opts
	port := dev.Port
	if port == 0 {
		port = DefaultPort
	}
	addr := net.JoinHostPort(dev.Host, strconv.Itoa(port))
	if o.connectTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.connectTimeout)
		defer cancel()
	}
	hostKey, err := hostKeyCallback(o)
	if err != nil {
		return nil, sdk.CreationError(false, err, "device %s: host key verification", dev.ID)
	}
	auth, err := authMethods(dev)
	if err != nil {
		return nil, sdk.CreationError(false, err, "device %s: credentials", dev.ID)
	}
	cfg := &ssh.ClientConfig{User: dev.Username, Auth: auth, HostKeyCallback: hostKey}

	var d net.Dialer
	tcp, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, sdk.CreationError(true, err, "device %s: connect to %s", dev.ID, addr)
	}
	// The SSH handshake and the hellos do not take a context: a deadline on
	// the socket, and closing it when ctx is cancelled, bound them.
	if dl, ok := ctx.Deadline(); ok {
		_ = tcp.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { tcp.Close() })
	defer stop()
	fail := func(retryable bool, err error, what string) (*client, error) {
		tcp.Close()
		if ctx.Err() != nil {
			err, retryable = fmt.Errorf("%w (%w)", ctx.Err(), err), true
		}
		return nil, sdk.CreationError(retryable, err, "device %s: %s", dev.ID, what)
	}

	sc, chans, reqs, err := ssh.NewClientConn(tcp, addr, cfg)
	if err != nil {
		retry := !strings.Contains(err.Error(), "unable to authenticate") && !isHostKeyError(err)
		return fail(retry, err, "ssh handshake with "+addr)
	}
	conn := ssh.NewClient(sc, chans, reqs)
	ch, inReqs, err := conn.OpenChannel("session", nil)
	if err != nil {
		conn.Close()
		return fail(true, err, "open ssh session")
	}
	go ssh.DiscardRequests(inReqs)
	ok, err := ch.SendRequest("subsystem", true, ssh.Marshal(struct{ Name string }{"netconf"}))
	if err == nil && !ok {
		err = errors.New("server refused the netconf subsystem")
	}
	if err != nil {
		conn.Close()
		return fail(false, err, "start the netconf subsystem")
	}

	c := &client{conn: conn, ch: ch, enc: rfc6242.NewEncoder(ch),
		msgs: make(chan message), quit: make(chan struct{}), done: make(chan struct{})}
	dec := rfc6242.NewDecoder(ch)
	// netconfd drops an RPC that reaches it in the same read as the client's
	// hello, and its netconf-subsystem relay can coalesce the two when they
	// are sent close together. So: wait for the server's hello, send ours,
	// and hold the first RPC until hello_delay after it (see firstRPC).
	msg, err := dec.Decode()
	if err == nil {
		c.serverCaps, c.sessionID, err = parseHello(msg)
	}
	if err != nil {
		conn.Close()
		return fail(!isProtocolError(err), err, "read the server's hello")
	}
	caps := []string{rfc6242.Base10}
	if !o.base10Only {
		caps = append(caps, rfc6242.Base11)
	}
	if err := c.enc.Encode(helloMessage(caps)); err != nil {
		conn.Close()
		return fail(true, err, "send hello")
	}
	c.firstRPC = time.Now().Add(o.helloDelay)
	c.framing = rfc6242.Negotiate(caps, c.serverCaps)
	dec.SetFraming(c.framing)
	c.enc.SetFraming(c.framing)
	dec.SetMaxMessageSize(o.maxReply)
	_ = tcp.SetDeadline(time.Time{})
	if !stop() {
		conn.Close()
		return fail(true, ctx.Err(), "hello exchange")
	}
	go c.read(dec)
	return c, nil
}

// read delivers every message to the RPC waiting for it until the stream ends.
func (c *client) read(dec *rfc6242.Decoder) {
	defer close(c.done)
	for {
		msg, err := dec.Decode()
		var m message
		switch {
		case errors.Is(err, rfc6242.ErrMessageTooLarge):
			m.err = err
		case err != nil:
			if errors.Is(err, io.EOF) {
				err = errors.New("the server closed the session")
			}
			c.rerr = err
			return
		default:
			m.text = string(msg)
		}
		select {
		case c.msgs <- m:
		case <-c.quit:
			c.rerr = errClosed
			return
		}
	}
}

// alive reports whether the reader still runs.
func (c *client) alive() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// deadErr says why the session is gone.
func (c *client) deadErr() error {
	if c.rerr != nil {
		return c.rerr
	}
	return errClosed
}

// rpc sends one <rpc> with body and waits for its reply (the whole
// rpc-reply text). It returns ctx's error if the caller gives up; the reply
// then still arrives and is dropped by a later rpc.
func (c *client) rpc(ctx context.Context, body string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.alive() {
		return "", c.deadErr()
	}
	if c.nextID == 0 {
		if d := time.Until(c.firstRPC); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return "", ctx.Err()
			}
		}
	}
	c.nextID++
	id := strconv.FormatUint(c.nextID, 10)
	var b bytes.Buffer
	b.Grow(len(body) + 96)
	b.WriteString(`<rpc xmlns="` + baseNS + `" message-id="` + id + `">`)
	b.WriteString(body)
	b.WriteString(`</rpc>`)
	msg := b.Bytes()
	if c.framing == rfc6242.EndOfMessage && !rfc6242.EOMSafe(msg) {
		return "", &sdk.Error{Kind: sdk.KindValidation, Message: "the rpc contains \"]]>]]>\", which base:1.0 framing cannot carry"}
	}
	werr := make(chan error, 1)
	go func() { werr <- c.enc.Encode(msg) }()
	select {
	case err := <-werr:
		if err != nil {
			c.shutdown()
			return "", fmt.Errorf("send rpc: %w", err)
		}
	case <-ctx.Done():
		// A write blocked on the SSH window cannot be taken back: the
		// stream would be left with half a message, so the session ends.
		c.shutdown()
		<-werr
		return "", ctx.Err()
	}
	for {
		select {
		case m := <-c.msgs:
			if c.stale > 0 {
				mid := messageID(m.text)
				if mid != id {
					c.stale--
					continue
				}
			}
			if m.err != nil {
				return "", m.err
			}
			return m.text, nil
		case <-c.done:
			return "", c.deadErr()
		case <-ctx.Done():
			c.stale++
			return "", ctx.Err()
		}
	}
}

// close ends the session politely (close-session, bounded by ctx and a
// second) and then the SSH connection.
func (c *client) close(ctx context.Context) {
	if c.alive() {
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		_, _ = c.rpc(ctx, "<close-session/>")
		cancel()
	}
	c.shutdown()
}

// shutdown closes the connection; the reader stops when its Read fails.
func (c *client) shutdown() {
	c.closeOnce.Do(func() {
		close(c.quit)
		c.ch.Close()
		c.conn.Close()
	})
}

func helloMessage(caps []string) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<hello xmlns="` + baseNS + `"><capabilities>`)
	for _, c := range caps {
		b.WriteString("<capability>" + c + "</capability>")
	}
	b.WriteString("</capabilities></hello>")
	return b.Bytes()
}

// protocolError marks a server that does not speak NETCONF as expected.
type protocolError struct{ msg string }

func (e *protocolError) Error() string { return e.msg }

func isProtocolError(err error) bool {
	var p *protocolError
	return errors.As(err, &p)
}

func isHostKeyError(err error) bool {
	var ke *knownhosts.KeyError
	return errors.As(err, &ke) || strings.Contains(err.Error(), "host key")
}

// hostKeyCallback checks host keys against known_hosts (the option, else
// ~/.ssh/known_hosts); insecure_skip_verify=true accepts any key.
func hostKeyCallback(o options) (ssh.HostKeyCallback, error) {
	if o.insecure {
		return ssh.InsecureIgnoreHostKey(), nil //nolint:gosec // the user asked for it, per device
	}
	path := o.knownHosts
	if path == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("no %s option and no home directory: %w", OptKnownHosts, err)
		}
		path = filepath.Join(home, ".ssh", "known_hosts")
	}
	cb, err := knownhosts.New(path)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w (set the %s option, or %s=true for lab devices)", OptKnownHosts, path, err, OptKnownHosts, OptInsecureHostKey)
	}
	return cb, nil
}

// authMethods offers the key first when there is one, then the password
// (as password and as keyboard-interactive answers).
func authMethods(dev sdk.Device) ([]ssh.AuthMethod, error) {
	var methods []ssh.AuthMethod
	if len(dev.PrivateKey) > 0 {
		var signer ssh.Signer
		var err error
		if dev.Passphrase != "" {
			signer, err = ssh.ParsePrivateKeyWithPassphrase(dev.PrivateKey, []byte(dev.Passphrase))
		} else {
			signer, err = ssh.ParsePrivateKey(dev.PrivateKey)
		}
		if err != nil {
			return nil, fmt.Errorf("private key: %w", err)
		}
		methods = append(methods, ssh.PublicKeys(signer))
	}
	if dev.Password != "" {
		pw := dev.Password
		methods = append(methods, ssh.Password(pw),
			ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = pw
				}
				return answers, nil
			}))
	}
	if len(methods) == 0 {
		return nil, errors.New("neither a password nor a private key")
	}
	return methods, nil
}

// hasCap reports whether the server advertised a capability, ignoring its
// parameters (…?module=…) and version when prefix ends with ":".
func (c *client) hasCap(prefix string) bool {
	return slices.ContainsFunc(c.serverCaps, func(s string) bool { return strings.HasPrefix(s, prefix) })
}
