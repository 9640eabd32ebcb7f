package netconf

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

const (
	testUser     = "netops"
	testPassword = "netops"
)

// sshServer is a test-local SSH server on 127.0.0.1 that serves the
// "netconf" subsystem with a Server, as the simulator's SSH server does.
type sshServer struct {
	addr   string
	ln     net.Listener
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu   sync.Mutex
	opts Options
}

func (t *sshServer) setOptions(o Options) {
	t.mu.Lock()
	t.opts = o
	t.mu.Unlock()
}

func (t *sshServer) options() Options {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.opts
}

func startSSH(t *testing.T, srv *Server, opts Options) *sshServer {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ServerConfig{
		PasswordCallback: func(c ssh.ConnMetadata, pass []byte) (*ssh.Permissions, error) {
			if c.User() == testUser && string(pass) == testPassword {
				return nil, nil
			}
			return nil, errAuth
		},
	}
	cfg.AddHostKey(signer)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &sshServer{addr: ln.Addr().String(), ln: ln, ctx: ctx, cancel: cancel, opts: opts}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.serveConn(c, cfg, srv)
			}()
		}
	}()
	t.Cleanup(s.close)
	return s
}

type authError struct{}

func (authError) Error() string { return "bad credentials" }

var errAuth = authError{}

func (s *sshServer) close() {
	s.cancel()
	s.ln.Close()
	s.wg.Wait()
}

func (s *sshServer) serveConn(c net.Conn, cfg *ssh.ServerConfig, srv *Server) {
	// Close the connection when the test server stops, so no goroutine
	// outlives the test.
	stop := context.AfterFunc(s.ctx, func() { c.Close() })
	defer stop()
	defer c.Close()
	conn, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	defer conn.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() { defer wg.Done(); ssh.DiscardRequests(reqs) }()
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "only session channels")
			continue
		}
		ch, chReqs, err := nc.Accept()
		if err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			started := false
			for req := range chReqs {
				ok := false
				if req.Type == "subsystem" && !started && len(req.Payload) >= 4 && string(req.Payload[4:]) == "netconf" {
					ok, started = true, true
					wg.Add(1)
					go func() {
						defer wg.Done()
						_ = srv.ServeSession(s.ctx, ch, s.options(), s.options)
						// Let the client see the channel end.
						_, _ = ch.SendRequest("exit-status", false, []byte{0, 0, 0, 0})
						ch.Close()
					}()
				}
				if req.WantReply {
					_ = req.Reply(ok, nil)
				}
			}
			ch.Close()
		}()
	}
}
