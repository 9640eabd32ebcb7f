package sim

import (
	"bufio"
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"io"
	"net"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

var errAuth = errors.New("authentication failed")

// sshConfig builds the device's SSH server configuration: password, keyboard-interactive
// (same password; OpenSSH and sshpass may prefer it) and public-key authentication, all
// refused while Faults.AuthFail is set.
func (d *Device) sshConfig() *ssh.ServerConfig {
	checkPassword := func(user string, pw []byte) bool {
		ok := !d.Faults().AuthFail &&
			subtle.ConstantTimeCompare([]byte(user), []byte(d.spec.Username)) == 1 &&
			subtle.ConstantTimeCompare(pw, []byte(d.spec.Password)) == 1
		if !ok {
			d.authFailures.Add(1)
		}
		return ok
	}
	cfg := &ssh.ServerConfig{
		ServerVersion: "SSH-2.0-netyard_sim",
		PasswordCallback: func(c ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			if checkPassword(c.User(), pw) {
				return nil, nil
			}
			return nil, errAuth
		},
		KeyboardInteractiveCallback: func(c ssh.ConnMetadata, challenge ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
			answers, err := challenge(c.User(), "", []string{"Password: "}, []bool{false})
			if err != nil {
				return nil, err
			}
			if len(answers) == 1 && checkPassword(c.User(), []byte(answers[0])) {
				return nil, nil
			}
			return nil, errAuth
		},
		PublicKeyCallback: func(c ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if d.Faults().AuthFail || c.User() != d.spec.Username {
				return nil, errAuth
			}
			for _, k := range d.spec.AuthorizedKeys {
				if bytes.Equal(k.Marshal(), key.Marshal()) {
					return nil, nil
				}
			}
			return nil, errAuth
		},
	}
	cfg.AddHostKey(d.sim.signer)
	return cfg
}

// goAccept runs the accept loop of one SSH listener (CLI or NETCONF).
func (s *Sim) goAccept(d *Device, ln net.Listener, netconf bool) {
	cfg := d.sshConfig()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				return
			}
			if !d.trackConn(c) {
				c.Close()
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer d.untrackConn(c)
				defer c.Close()
				s.serveSSH(d, c, cfg, netconf)
			}()
		}
	}()
}

func (s *Sim) serveSSH(d *Device, c net.Conn, cfg *ssh.ServerConfig, netconf bool) {
	c.SetDeadline(time.Now().Add(30 * time.Second))
	sc, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		s.log.Debug("ssh handshake", "device", d.spec.Name, "err", err)
		return
	}
	c.SetDeadline(time.Time{})
	defer sc.Close()
	d.logins.Add(1)
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ssh.DiscardRequests(reqs)
	}()
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "only session channels are supported")
			continue
		}
		ch, chReqs, err := nc.Accept()
		if err != nil {
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer ch.Close()
			d.openSessions.Add(1)
			defer d.openSessions.Add(-1)
			s.serveChannel(ctx, d, sc, ch, chReqs, netconf)
		}()
	}
}

// serveChannel handles one session channel's requests: pty-req, env, shell, exec and
// (on the NETCONF port) the netconf subsystem.
func (s *Sim) serveChannel(ctx context.Context, d *Device, sc *ssh.ServerConn, ch ssh.Channel, reqs <-chan *ssh.Request, netconf bool) {
	pty := false
	for req := range reqs {
		switch req.Type {
		case "pty-req":
			pty = true
			req.Reply(true, nil)
		case "env", "window-change":
			req.Reply(true, nil)
		case "shell", "exec", "subsystem":
			var payload struct{ Value string }
			if req.Type != "shell" {
				if ssh.Unmarshal(req.Payload, &payload) != nil {
					req.Reply(false, nil)
					continue
				}
			}
			if netconf != (req.Type == "subsystem") || (netconf && payload.Value != "netconf") {
				req.Reply(false, nil)
				continue
			}
			req.Reply(true, nil)
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				for r := range reqs {
					r.Reply(r.Type == "window-change" || r.Type == "env", nil)
				}
			}()
			status := 0
			switch req.Type {
			case "shell":
				s.runShell(ctx, d, sc, ch)
			case "exec":
				status = s.runExec(ctx, d, sc, ch, payload.Value, pty)
			case "subsystem":
				if err := d.serveNETCONF(ctx, ch, sc); err != nil {
					s.log.Debug("netconf session", "device", d.spec.Name, "err", err)
				}
				// The session is over (close-session, kill-session, DropAfter): like a
				// device, close the transport too.
				sc.Close()
				return
			}
			ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(status)}))
			return
		default:
			req.Reply(false, nil)
		}
	}
}

// cliFaults applies the fault knobs before a command is answered. It returns false when
// the session must stop (Close, or the connection went away while hanging).
func (d *Device) cliFaults(ctx context.Context) bool {
	for {
		f := d.Faults()
		if !f.Hang {
			return sleepCtx(ctx, f.Latency)
		}
		// Hang: keep the command unanswered until the knob is cleared or the session ends.
		if !sleepCtx(ctx, 50*time.Millisecond) {
			return false
		}
	}
}

func (s *Sim) runShell(ctx context.Context, d *Device, sc *ssh.ServerConn, ch ssh.Channel) {
	// Stop waiting (latency, hang) when the client goes away.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		sc.Wait()
		cancel()
	}()

	out := &crlfWriter{w: ch}
	t := &terminal{r: bufio.NewReaderSize(ch, 4096), w: ch}
	sess := newCLISession(d, sc.User(), d.plat.LoginMode)
	sess.readSecret = func(prompt string) (string, error) {
		io.WriteString(out, prompt)
		return t.readLine(false)
	}
	io.WriteString(out, d.plat.render("banner", d.templateData(sc.User(), nil)))
	io.WriteString(out, "\n"+sess.prompt())
	answered := 0
	for {
		line, err := t.readLine(true)
		if errors.Is(err, errInterrupt) {
			io.WriteString(out, sess.prompt())
			continue
		}
		if err != nil {
			return
		}
		if line == "\x1a" {
			line = ""
			if m := d.plat.match(sess.mode, []string{"end"}); m.cmd != nil {
				line = "end"
			}
		}
		if strings.TrimSpace(line) != "" {
			d.commands.Add(1)
			if !d.cliFaults(ctx) {
				return
			}
			err := sess.execute(out, line)
			if errors.Is(err, errSessionEnd) {
				return
			}
			if err != nil {
				s.log.Debug("cli command", "device", d.spec.Name, "err", err)
				return
			}
			answered++
			if f := d.Faults(); f.DropAfter > 0 && answered >= f.DropAfter {
				// The reply is complete with its prompt; then the line goes dead.
				io.WriteString(out, sess.prompt())
				time.Sleep(20 * time.Millisecond)
				sc.Close()
				return
			}
		}
		io.WriteString(out, sess.prompt())
	}
}

// runExec answers "ssh host 'command'": each line of the command runs in the platform's
// exec mode; output only, no prompts.
func (s *Sim) runExec(ctx context.Context, d *Device, sc *ssh.ServerConn, ch ssh.Channel, cmd string, pty bool) int {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		sc.Wait()
		cancel()
	}()
	var out io.Writer = ch
	if pty {
		out = &crlfWriter{w: ch}
	}
	sess := newCLISession(d, sc.User(), d.plat.ExecMode)
	answered := 0
	for _, line := range strings.Split(cmd, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		d.commands.Add(1)
		if !d.cliFaults(ctx) {
			return 1
		}
		err := sess.execute(out, line)
		if errors.Is(err, errSessionEnd) {
			return 0
		}
		if err != nil {
			return 1
		}
		answered++
		if f := d.Faults(); f.DropAfter > 0 && answered >= f.DropAfter {
			sc.Close()
			return 1
		}
	}
	return 0
}

var errInterrupt = errors.New("interrupted")

// terminal reads lines from a raw SSH channel and echoes them itself, like a device's
// CLI does (clients must not depend on pty echo): CR, LF and CRLF end a line, backspace
// and DEL erase, ^C abandons the line, ^D on an empty line ends, ^Z means "end".
type terminal struct {
	r       *bufio.Reader
	w       io.Writer
	lastCR  bool
	pending []byte
}

func (t *terminal) flush() {
	if len(t.pending) > 0 {
		t.w.Write(t.pending)
		t.pending = t.pending[:0]
	}
}

func (t *terminal) readLine(echo bool) (string, error) {
	var buf []byte
	defer t.flush()
	for {
		if t.r.Buffered() == 0 {
			t.flush()
		}
		b, err := t.r.ReadByte()
		if err != nil {
			return "", err
		}
		if t.lastCR && b == '\n' {
			t.lastCR = false
			continue
		}
		t.lastCR = false
		switch b {
		case '\r', '\n':
			t.lastCR = b == '\r'
			t.pending = append(t.pending, '\r', '\n')
			return string(buf), nil
		case 0x7f, 0x08:
			if len(buf) > 0 {
				buf = buf[:len(buf)-1]
				if echo {
					t.pending = append(t.pending, '\b', ' ', '\b')
				}
			}
		case 0x03:
			t.pending = append(t.pending, "^C\r\n"...)
			return "", errInterrupt
		case 0x04:
			if len(buf) == 0 {
				return "", io.EOF
			}
		case 0x15: // ^U: erase the line
			if echo {
				for range buf {
					t.pending = append(t.pending, '\b', ' ', '\b')
				}
			}
			buf = buf[:0]
		case 0x1a:
			t.pending = append(t.pending, "^Z\r\n"...)
			return "\x1a", nil
		case 0x1b: // escape sequence (arrow keys): ignore it
			if n, _ := t.r.Peek(1); len(n) == 1 && (n[0] == '[' || n[0] == 'O') {
				t.r.ReadByte()
				for {
					c, err := t.r.ReadByte()
					if err != nil || (c >= 0x40 && c <= 0x7e) {
						break
					}
				}
			}
		default:
			if b < 0x20 && b != '\t' {
				continue
			}
			if b == '\t' {
				b = ' '
			}
			buf = append(buf, b)
			if echo {
				t.pending = append(t.pending, b)
			}
		}
	}
}

// crlfWriter turns "\n" into "\r\n", as a device's terminal line discipline would.
type crlfWriter struct{ w io.Writer }

func (c *crlfWriter) Write(p []byte) (int, error) {
	if bytes.IndexByte(p, '\n') < 0 {
		return c.w.Write(p)
	}
	out := make([]byte, 0, len(p)+len(p)/32+8)
	for _, b := range p {
		if b == '\n' {
			out = append(out, '\r')
		}
		out = append(out, b)
	}
	if _, err := c.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}
