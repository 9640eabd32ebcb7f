package main

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/netyard/netyard/sdk"
)

// Terminal size requested for the pty: wide, so that long commands are
// echoed on one line (the echo is how a response is told from its command).
const (
	termWidth  = 511
	termHeight = 255
)

// dial connects the standard transport: TCP, SSH handshake and
// authentication, a pty and a shell. Unlike scrapligo's own standard
// transport, it honours ctx, decrypts private keys with their passphrase,
// and tells authentication failures from unreachable devices.
func dial(ctx context.Context, dev sdk.Device, o options, g *gate) error {
	addr := net.JoinHostPort(dev.Host, strconv.Itoa(devicePort(dev)))
	cfg, err := clientConfig(dev, o)
	if err != nil {
		return err
	}
	d := net.Dialer{Timeout: o.timeoutSocket}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return dialError(ctx, dev, addr, err)
	}
	// The handshake has no context of its own: a deadline bounds it, and
	// closing the socket aborts it when ctx ends first.
	_ = conn.SetDeadline(time.Now().Add(o.timeoutSocket))
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err != nil {
		stop()
		conn.Close()
		return dialError(ctx, dev, addr, err)
	}
	client := ssh.NewClient(c, chans, reqs)
	fail := func(what string, err error) error {
		stop()
		client.Close()
		if ctx.Err() != nil {
			return dialError(ctx, dev, addr, err)
		}
		return sdk.CreationError(true, err, "device %s: %s on %s", dev.ID, what, addr)
	}
	sess, err := client.NewSession()
	if err != nil {
		return fail("open an SSH session", err)
	}
	modes := ssh.TerminalModes{ssh.ECHO: 1, ssh.TTY_OP_ISPEED: 115200, ssh.TTY_OP_OSPEED: 115200}
	if err := sess.RequestPty("xterm", termHeight, termWidth, modes); err != nil {
		return fail("request a pty", err)
	}
	stdin, err := sess.StdinPipe()
	if err != nil {
		return fail("stdin", err)
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		return fail("stdout", err)
	}
	if err := sess.Shell(); err != nil {
		return fail("start a shell", err)
	}
	if !stop() {
		client.Close()
		return dialError(ctx, dev, addr, ctx.Err())
	}
	_ = conn.SetDeadline(time.Time{})
	g.attach(client, sess, stdin, stdout)
	return nil
}

func devicePort(dev sdk.Device) int {
	if dev.Port == 0 {
		return 22
	}
	return dev.Port
}

func clientConfig(dev sdk.Device, o options) (*ssh.ClientConfig, error) {
	var auth []ssh.AuthMethod
	if len(dev.PrivateKey) > 0 {
		signer, err := parseKey(dev)
		if err != nil {
			return nil, err
		}
		auth = append(auth, ssh.PublicKeys(signer))
	}
	if dev.Password != "" {
		pw := dev.Password
		auth = append(auth, ssh.Password(pw), ssh.KeyboardInteractive(
			func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = pw
				}
				return answers, nil
			}))
	}
	hostKey := ssh.InsecureIgnoreHostKey() //nolint:gosec // documented default without a known_hosts file
	if o.strictKey {
		cb, err := knownhosts.New(o.knownHosts)
		if err != nil {
			return nil, sdk.Errorf(sdk.KindValidation, "device %s: option %s: %v", dev.ID, OptKnownHosts, err)
		}
		hostKey = cb
	}
	return &ssh.ClientConfig{User: dev.Username, Auth: auth, HostKeyCallback: hostKey, Timeout: o.timeoutSocket}, nil
}

// parseKey reads the device's private key; errors never quote key material.
func parseKey(dev sdk.Device) (ssh.Signer, error) {
	var signer ssh.Signer
	var err error
	if dev.Passphrase != "" {
		signer, err = ssh.ParsePrivateKeyWithPassphrase(dev.PrivateKey, []byte(dev.Passphrase))
	} else {
		signer, err = ssh.ParsePrivateKey(dev.PrivateKey)
	}
	var missing *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &missing):
		return nil, sdk.Errorf(sdk.KindValidation, "device %s: the private key is encrypted and no passphrase was given", dev.ID)
	case errors.Is(err, x509.IncorrectPasswordError):
		return nil, sdk.CreationError(false, nil, "device %s: the private key's passphrase is wrong", dev.ID)
	case err != nil:
		return nil, sdk.Errorf(sdk.KindValidation, "device %s: private key: not a usable PEM/OpenSSH private key", dev.ID)
	}
	return signer, nil
}

// dialError classifies a failed connect: authentication and host-key
// failures cannot be fixed by retrying; refused, unreachable and timed-out
// connects can.
func dialError(ctx context.Context, dev sdk.Device, addr string, err error) error {
	var keyErr *knownhosts.KeyError
	switch {
	case errors.As(err, &keyErr) && len(keyErr.Want) > 0:
		return sdk.CreationError(false, err, "device %s: host key of %s does not match the known_hosts file", dev.ID, addr)
	case errors.As(err, &keyErr):
		return sdk.CreationError(false, err, "device %s: %s is not in the known_hosts file (strict host key checking)", dev.ID, addr)
	case strings.Contains(err.Error(), "unable to authenticate"):
		return sdk.CreationError(false, err, "device %s: authentication failed for user %s on %s", dev.ID, dev.Username, addr)
	case ctx.Err() != nil:
		return sdk.CreationError(true, ctx.Err(), "device %s: connect to %s", dev.ID, addr)
	case isTimeout(err):
		return sdk.CreationError(true, err, "device %s: connect to %s timed out", dev.ID, addr)
	}
	return sdk.CreationError(true, err, "device %s: cannot reach %s", dev.ID, addr)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded)
}
