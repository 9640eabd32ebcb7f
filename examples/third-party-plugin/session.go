package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/netyard/netyard/sdk"
)

// Device options (sdk.Device.Options). Unknown keys are refused: a typo must
// not silently turn host key checking off.
const (
	OptKnownHosts  = "known_hosts"       // OpenSSH known_hosts file the host key must be in
	OptInsecureKey = "insecure_host_key" // "true": accept any host key (labs, simulators)
	OptDialTimeout = "dial_timeout"      // TCP connect and SSH handshake bound (default 10s)
)

type options struct {
	hostKey     ssh.HostKeyCallback
	dialTimeout time.Duration
}

func parseOptions(dev sdk.Device) (options, error) {
	o := options{dialTimeout: 10 * time.Second}
	var bad []string
	insecure := false
	for k, v := range dev.Options {
		switch k {
		case OptKnownHosts:
			cb, err := knownhosts.New(v)
			if err != nil {
				bad = append(bad, fmt.Sprintf("option %s: %v", k, err))
				continue
			}
			o.hostKey = cb
		case OptInsecureKey:
			b, err := strconv.ParseBool(v)
			if err != nil {
				bad = append(bad, fmt.Sprintf("option %s: true or false, got %q", k, v))
			}
			insecure = b
		case OptDialTimeout:
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				bad = append(bad, fmt.Sprintf("option %s: a positive duration such as 10s, got %q", k, v))
			}
			o.dialTimeout = d
		default:
			bad = append(bad, fmt.Sprintf("unknown option %q", k))
		}
	}
	switch {
	case o.hostKey != nil && insecure:
		bad = append(bad, fmt.Sprintf("options %s and %s contradict each other", OptKnownHosts, OptInsecureKey))
	case insecure:
		o.hostKey = ssh.InsecureIgnoreHostKey()
	case o.hostKey == nil:
		bad = append(bad, fmt.Sprintf("option %s is required (or %s: true for a lab)", OptKnownHosts, OptInsecureKey))
	}
	if len(bad) > 0 {
		return o, sdk.Errorf(sdk.KindValidation, "device %s: %s", dev.ID, strings.Join(bad, "; "))
	}
	return o, nil
}

// session is one device: one SSH connection, one exec channel per command.
type session struct {
	dev  sdk.Device
	opts options
	log  sdk.Logger

	mu     sync.Mutex
	client *ssh.Client
}

func (s *session) addr() string {
	port := s.dev.Port
	if port == 0 {
		port = 22
	}
	return net.JoinHostPort(s.dev.Host, strconv.Itoa(port))
}

func (s *session) auth() ([]ssh.AuthMethod, error) {
	var methods []ssh.AuthMethod
	if len(s.dev.PrivateKey) > 0 {
		var (
			signer ssh.Signer
			err    error
		)
		if s.dev.Passphrase != "" {
			signer, err = ssh.ParsePrivateKeyWithPassphrase(s.dev.PrivateKey, []byte(s.dev.Passphrase))
		} else {
			signer, err = ssh.ParsePrivateKey(s.dev.PrivateKey)
		}
		if err != nil {
			// The parser's message never quotes the key.
			return nil, sdk.Errorf(sdk.KindValidation, "device %s: private key: %v", s.dev.ID, err)
		}
		methods = append(methods, ssh.PublicKeys(signer))
	}
	if pw := s.dev.Password; pw != "" {
		methods = append(methods, ssh.Password(pw), ssh.KeyboardInteractive(
			func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = pw
				}
				return answers, nil
			}))
	}
	return methods, nil
}

// Connect dials and authenticates; the context bounds both.
func (s *session) Connect(ctx context.Context) error {
	methods, err := s.auth()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.dialTimeout)
	defer cancel()
	addr := s.addr()
	nc, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return sdk.CreationError(true, err, "device %s: cannot reach %s: %v", s.dev.ID, addr, err)
	}
	// x/crypto/ssh's handshake takes no context: closing the socket ends it.
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	cc, chans, reqs, err := ssh.NewClientConn(nc, addr, &ssh.ClientConfig{
		User: s.dev.Username, Auth: methods, HostKeyCallback: s.opts.hostKey,
	})
	interrupted := !stop()
	if err != nil {
		nc.Close()
		var keyErr *knownhosts.KeyError
		switch {
		case interrupted:
			return sdk.CreationError(true, ctx.Err(), "device %s: ssh handshake with %s: %v", s.dev.ID, addr, ctx.Err())
		case errors.As(err, &keyErr):
			return sdk.CreationError(false, err, "device %s: host key of %s not trusted: %v", s.dev.ID, addr, err)
		case strings.Contains(err.Error(), "unable to authenticate"):
			return sdk.CreationError(false, err, "device %s: authentication failed for user %s", s.dev.ID, s.dev.Username)
		default:
			return sdk.CreationError(true, err, "device %s: ssh handshake with %s: %v", s.dev.ID, addr, err)
		}
	}
	s.mu.Lock()
	s.client = ssh.NewClient(cc, chans, reqs)
	s.mu.Unlock()
	s.log.Debug("connected", "addr", addr)
	return nil
}

// Close closes the connection, which also ends a command still running.
func (s *session) Close(context.Context) error {
	s.mu.Lock()
	c := s.client
	s.client = nil
	s.mu.Unlock()
	if c == nil {
		return nil
	}
	if err := c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return sdk.OperationError(false, err, "device %s: close: %v", s.dev.ID, err)
	}
	return nil
}

// SendCommands implements sdk.CLI: one exec channel per command. A non-zero
// exit status or a failed-when-contains match is a failed response, not an
// error.
func (s *session) SendCommands(ctx context.Context, req sdk.CommandsRequest) ([]sdk.Response, error) {
	s.mu.Lock()
	c := s.client
	s.mu.Unlock()
	if c == nil {
		return nil, sdk.StateError("device %s: not connected", s.dev.ID)
	}
	var out []sdk.Response
	for _, cmd := range req.Commands {
		r, err := s.run(ctx, c, cmd)
		if err != nil {
			return out, err
		}
		for _, w := range req.FailedWhenContains {
			if w != "" && strings.Contains(r.Result, w) {
				r.Failed, r.FailedWhen = true, w
				break
			}
		}
		out = append(out, r)
		if r.Failed && req.StopOnFailed {
			break
		}
	}
	return out, nil
}

func (s *session) run(ctx context.Context, c *ssh.Client, cmd string) (sdk.Response, error) {
	start := time.Now()
	r := sdk.Response{Command: cmd}
	sess, err := c.NewSession()
	if err != nil {
		return r, sdk.OperationError(true, err, "device %s: open an exec channel: %v", s.dev.ID, err)
	}
	defer sess.Close()
	// One writer for both streams, serialised: with a bare *bytes.Buffer the
	// two copy goroutines would race inside its ReadFrom.
	buf := &lockedBuffer{}
	sess.Stdout, sess.Stderr = buf, buf
	done := make(chan error, 1)
	go func() { done <- sess.Run(cmd) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		sess.Close() // Run returns once the channel is closed
		<-done
		return r, sdk.OperationError(true, ctx.Err(), "device %s: command %q: %v", s.dev.ID, cmd, ctx.Err())
	}
	r.Result, r.Elapsed = strings.TrimRight(buf.String(), "\r\n"), time.Since(start)
	var exitErr *ssh.ExitError
	var missing *ssh.ExitMissingError
	switch {
	case err == nil, errors.As(err, &missing):
	case errors.As(err, &exitErr):
		r.Failed = true
	default:
		return r, sdk.OperationError(true, err, "device %s: command %q: %v", s.dev.ID, cmd, err)
	}
	return r, nil
}

var _ sdk.CLI = (*session)(nil)

// lockedBuffer is a bytes.Buffer that only Writes, under a lock.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
