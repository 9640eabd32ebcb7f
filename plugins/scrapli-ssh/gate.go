package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/scrapli/scrapligo/transport"
	"github.com/scrapli/scrapligo/util"
	"golang.org/x/crypto/ssh"
)

// gate is the scrapligo transport of one session. One pump goroutine reads
// the device (blocking, so an idle session costs nothing) into a buffer that
// has two consumers, one at a time:
//
//   - scrapligo's channel read loop, through Read, while scrapligo drives
//     the session (connect, privilege changes): "scrapli mode";
//   - the plugin's own command loop, through take, which waits on the pump
//     without polling: "direct mode". Meanwhile scrapligo's read loop is
//     parked inside Read, so its ReadDelay sleeps cost nothing.
//
// That is how a command costs one write and as many wake-ups as the device
// sends chunks, instead of scrapligo's read-sleep-poll cycles.
type gate struct {
	log func(dir string, b []byte) // channel log; nil when off

	// standard transport (x/crypto/ssh in the plugin)
	client *ssh.Client
	sess   *ssh.Session
	stdin  io.WriteCloser
	stdout io.Reader
	// system transport (scrapligo's, the ssh binary through a pty)
	inner   transport.Implementation
	sshArgs *transport.SSHArgs

	writeMu sync.Mutex

	mu         sync.Mutex
	changed    chan struct{} // closed and replaced on every state change
	buf        []byte        // read from the device, not yet consumed
	err        error         // the device connection ended (EOF, dropped, closed)
	direct     bool          // direct mode: Read parks
	parked     bool          // scrapligo's read loop waits inside Read
	readerGone bool          // Read returned EOF: scrapligo's read loop has ended
	closed     bool
	pumping    bool
	pumpDone   chan struct{}
}

var (
	_ transport.Implementation              = (*gate)(nil)
	_ transport.InChannelAuthImplementation = (*gate)(nil)
	_ transport.SSHImplementation           = (*gate)(nil)
)

func newGate() *gate {
	return &gate{changed: make(chan struct{}), pumpDone: make(chan struct{}), sshArgs: &transport.SSHArgs{}}
}

// broadcastLocked wakes everyone waiting on a state change; g.mu is held.
func (g *gate) broadcastLocked() {
	close(g.changed)
	g.changed = make(chan struct{})
}

// attach takes an established standard-transport session (see dial).
func (g *gate) attach(client *ssh.Client, sess *ssh.Session, stdin io.WriteCloser, stdout io.Reader) {
	g.client, g.sess, g.stdin, g.stdout = client, sess, stdin, stdout
}

// Open is called by scrapligo's channel: the standard transport is already
// connected (dial honours the caller's context, which scrapligo's Open does
// not); the system transport starts ssh here.
func (g *gate) Open(a *transport.Args) error {
	var read func([]byte) (int, error)
	switch {
	case g.inner != nil:
		if err := g.inner.Open(a); err != nil {
			return err
		}
		read = func(p []byte) (int, error) {
			b, err := g.inner.Read(len(p))
			return copy(p, b), err
		}
	case g.stdout != nil:
		read = g.stdout.Read
	default:
		return errors.New("transport not connected")
	}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return io.EOF
	}
	g.pumping = true
	g.mu.Unlock()
	go g.pump(read)
	return nil
}

// The pump's read buffer starts small (an idle session should cost little
// memory: 1,000 sessions per process) and doubles, up to readChunk, while
// reads fill it: x/crypto/ssh hands over everything buffered in its channel
// window, so a big buffer drains a big output in few calls.
const (
	firstReadChunk = 8 << 10
	readChunk      = 256 << 10
)

func (g *gate) pump(read func([]byte) (int, error)) {
	defer close(g.pumpDone)
	b := make([]byte, firstReadChunk)
	for {
		n, err := read(b)
		grow := n == len(b) && len(b) < readChunk
		if n > 0 {
			chunk := cleanChunk(b[:n])
			if g.log != nil {
				g.log("read", chunk)
			}
			g.mu.Lock()
			g.buf = append(g.buf, chunk...)
			g.broadcastLocked()
			g.mu.Unlock()
		}
		if grow {
			b = make([]byte, 2*len(b))
		} else if n < firstReadChunk && len(b) > firstReadChunk {
			// Back to idle: do not hold a large read buffer per session.
			b = make([]byte, firstReadChunk)
		}
		if err != nil {
			g.mu.Lock()
			if g.err == nil {
				g.err = fmt.Errorf("connection closed by the device: %w", err)
				if g.closed {
					g.err = errClosed
				}
			}
			g.broadcastLocked()
			g.mu.Unlock()
			return
		}
	}
}

var errClosed = errors.New("session closed")

// cleanChunk drops carriage returns and ANSI escapes, as scrapligo's read
// loop does, in place.
func cleanChunk(b []byte) []byte {
	if i := bytes.IndexByte(b, '\r'); i >= 0 {
		j := i
		for i < len(b) {
			k := bytes.IndexByte(b[i+1:], '\r')
			end := len(b)
			if k >= 0 {
				end = i + 1 + k
			}
			j += copy(b[j:], b[i+1:end])
			i = end
		}
		b = b[:j]
	}
	if bytes.IndexByte(b, 0x1b) >= 0 {
		b = util.StripANSI(b)
	}
	return b
}

// Read is scrapligo's channel read loop asking for data. In direct mode it
// parks until scrapli mode comes back, the session closes, or forever.
func (g *gate) Read(n int) ([]byte, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for {
		switch {
		case g.closed || g.err != nil && len(g.buf) == 0:
			// io.EOF ends scrapligo's read loop quietly; any other error it
			// would hand to a consumer that may never come.
			g.readerGone = true
			g.parked = false
			g.broadcastLocked()
			return nil, io.EOF
		case !g.direct && len(g.buf) > 0:
			k := min(n, len(g.buf))
			b := bytes.Clone(g.buf[:k])
			g.buf = g.buf[:copy(g.buf, g.buf[k:])]
			g.parked = false
			return b, nil
		}
		if !g.parked {
			g.parked = true
			g.broadcastLocked()
		}
		ch := g.changed
		g.mu.Unlock()
		<-ch
		g.mu.Lock()
	}
}

// Write sends b to the device.
func (g *gate) Write(b []byte) error {
	g.writeMu.Lock()
	defer g.writeMu.Unlock()
	if g.log != nil {
		g.log("write", b)
	}
	if g.inner != nil {
		return g.inner.Write(b)
	}
	if g.stdin == nil {
		return errors.New("transport not connected")
	}
	_, err := g.stdin.Write(b)
	return err
}

// Close ends the device connection and wakes every waiter. It is idempotent
// and safe while a command is in flight: it is what aborts one.
func (g *gate) Close() error {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return nil
	}
	g.closed = true
	if g.err == nil {
		g.err = errClosed
	}
	g.broadcastLocked()
	pumping := g.pumping
	g.mu.Unlock()
	var err error
	if g.inner != nil {
		if pumping {
			err = g.inner.Close()
		}
	} else {
		if g.sess != nil {
			_ = g.sess.Close()
		}
		if g.client != nil {
			err = g.client.Close()
		}
	}
	if pumping {
		select {
		case <-g.pumpDone:
		case <-time.After(2 * time.Second): // a pty read can outlive its close; do not hang Close on it
		}
	}
	return err
}

// IsAlive reports whether the connection is up.
func (g *gate) IsAlive() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return !g.closed && g.err == nil
}

// GetInChannelAuthType asks scrapligo for in-channel (pty prompt)
// authentication only for the system transport.
func (g *gate) GetInChannelAuthType() transport.InChannelAuthType {
	if a, ok := g.inner.(transport.InChannelAuthImplementation); ok {
		return a.GetInChannelAuthType()
	}
	return transport.InChannelAuthUnsupported
}

// GetSSHArgs returns the SSH arguments scrapligo's in-channel auth reads.
func (g *gate) GetSSHArgs() *transport.SSHArgs { return g.sshArgs }

// setDirect switches between scrapli mode and direct mode. Entering direct
// mode waits until scrapligo's read loop is parked, so that no chunk is in
// flight towards its queue; the caller then drains that queue (unread).
func (g *gate) setDirect(ctx context.Context, on bool) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.direct = on
	g.broadcastLocked()
	if !on {
		return nil
	}
	for !g.parked && !g.readerGone && !g.closed {
		ch := g.changed
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			g.mu.Lock()
			return ctx.Err()
		}
		g.mu.Lock()
	}
	return nil
}

// unread puts b back in front of the pending bytes.
func (g *gate) unread(b []byte) {
	if len(b) == 0 {
		return
	}
	g.mu.Lock()
	g.buf = append(bytes.Clone(b), g.buf...)
	g.broadcastLocked()
	g.mu.Unlock()
}

// discard drops pending bytes (unsolicited output between operations).
func (g *gate) discard() []byte {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := g.buf
	g.buf = nil
	return b
}

// takeInto appends pending bytes to dst, waiting for some if there are none.
func (g *gate) takeInto(ctx context.Context, dst []byte) ([]byte, error) {
	for {
		g.mu.Lock()
		if len(g.buf) > 0 {
			dst = append(dst, g.buf...)
			g.buf = g.buf[:0]
			if cap(g.buf) > readChunk {
				g.buf = nil // do not keep a big output's backlog buffer for the session's life
			}
			g.mu.Unlock()
			return dst, nil
		}
		if g.err != nil {
			err := g.err
			g.mu.Unlock()
			return dst, err
		}
		ch := g.changed
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return dst, ctx.Err()
		}
	}
}

// connErr is the reason the connection ended, or nil while it is up.
func (g *gate) connErr() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}
