package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/scrapli/scrapligo/driver/network"
	scopts "github.com/scrapli/scrapligo/driver/options"
	"github.com/scrapli/scrapligo/platform"
	"github.com/scrapli/scrapligo/transport"
	"github.com/scrapli/scrapligo/util"

	"github.com/netyard/netyard/sdk"
)

// session is one device session: scrapligo's network driver for connect and
// privilege changes, the plugin's direct read loop for commands (see gate).
type session struct {
	dev  sdk.Device
	log  sdk.Logger
	opts options
	plat *platformDef

	drv        *network.Driver
	g          *gate
	prompt     *regexp.Regexp // every privilege level's prompt, joined
	failedWhen []string       // scrapligo's platform list and platforms.yaml's
	keyFile    string         // system transport: the private key, written for ssh(1)

	mu         sync.Mutex
	connected  bool
	closed     bool
	why        string // why the session is no longer usable
	resync     bool   // a command was abandoned: read up to its prompt first
	lastPrompt string
}

var (
	_ sdk.Session          = (*session)(nil)
	_ sdk.Aliver           = (*session)(nil)
	_ sdk.CLI              = (*session)(nil)
	_ sdk.CLIConfig        = (*session)(nil)
	_ sdk.DeviceInfoGetter = (*session)(nil)
)

// open creates a session for req without connecting it.
func open(req sdk.OpenRequest) (*session, error) {
	dev := req.Device
	plat, ok := platforms[dev.Platform]
	if !ok {
		return nil, sdk.Errorf(sdk.KindNotImplemented, "device %s: platform %q is not served by scrapli-ssh (served: %s)",
			dev.ID, dev.Platform, strings.Join(platformNames(), ", "))
	}
	o, err := parseOptions(dev)
	if err != nil {
		return nil, err
	}
	s := &session{dev: dev, log: req.Logger, opts: o, plat: plat, g: newGate()}
	if o.channelLog {
		s.g.log = channelLogger(req.Logger, dev)
	}
	return s, nil
}

func (s *session) scrapliOptions() ([]util.Option, error) {
	o := []util.Option{
		scopts.WithAuthUsername(s.dev.Username),
		scopts.WithPort(devicePort(s.dev)),
		scopts.WithTimeoutOps(s.opts.timeoutOps),
		scopts.WithTimeoutSocket(s.opts.timeoutSocket),
		scopts.WithTransportReadSize(readChunk),
		scopts.WithTermWidth(termWidth),
		scopts.WithTermHeight(termHeight),
		scopts.WithCustomTransport(s.g),
	}
	if s.dev.Password != "" {
		o = append(o, scopts.WithAuthPassword(s.dev.Password))
	}
	if s.dev.EnableSecret != "" {
		o = append(o, scopts.WithAuthSecondary(s.dev.EnableSecret))
	}
	if s.opts.transport == "system" {
		if err := s.systemTransport(); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// systemTransport sets the gate up around scrapligo's system transport
// (the ssh binary in a pty, authenticating in the channel).
func (s *session) systemTransport() error {
	var sshOpts []util.Option
	if s.opts.strictKey {
		sshOpts = append(sshOpts, scopts.WithSSHKnownHostsFile(s.opts.knownHosts))
	} else {
		sshOpts = append(sshOpts, scopts.WithAuthNoStrictKey())
	}
	if len(s.dev.PrivateKey) > 0 {
		if s.dev.Passphrase != "" {
			return sdk.Errorf(sdk.KindValidation, "device %s: transport system cannot use a passphrase-protected key; use transport standard", s.dev.ID)
		}
		f, err := os.CreateTemp("", "scrapli-ssh-key-*")
		if err != nil {
			return sdk.OperationError(false, err, "device %s: write the private key for ssh", s.dev.ID)
		}
		s.keyFile = f.Name()
		_, err = f.Write(s.dev.PrivateKey)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return sdk.OperationError(false, err, "device %s: write the private key for ssh", s.dev.ID)
		}
		sshOpts = append(sshOpts, scopts.WithAuthPrivateKey(s.keyFile, ""))
	}
	args, err := transport.NewSSHArgs(sshOpts...)
	if err != nil {
		return sdk.Errorf(sdk.KindValidation, "device %s: ssh options: %v", s.dev.ID, err)
	}
	inner, err := transport.NewSystemTransport(args)
	if err != nil {
		return sdk.Errorf(sdk.KindValidation, "device %s: system transport: %v", s.dev.ID, err)
	}
	s.g.inner, s.g.sshArgs = inner, args
	return nil
}

// Connect dials (standard transport), lets scrapligo open its channel,
// switches to direct mode and runs the platform's on-open there (privilege,
// paging off; see onOpen). ctx ending aborts it by closing the connection.
func (s *session) Connect(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return sdk.StateError("session for device %s is closed", s.dev.ID)
	}
	s.mu.Unlock()
	opts, err := s.scrapliOptions()
	if err != nil {
		return err
	}
	p, err := platform.NewPlatform(s.plat.definition, s.dev.Host, opts...)
	if err != nil {
		return sdk.Errorf(sdk.KindInternal, "device %s: scrapligo platform %s: %v", s.dev.ID, s.plat.name, err)
	}
	drv, err := p.GetNetworkDriver()
	if err != nil {
		return sdk.Errorf(sdk.KindInternal, "device %s: scrapligo driver: %v", s.dev.ID, err)
	}
	s.drv = drv
	s.prompt = drv.Channel.PromptPattern
	s.failedWhen = mergeFailedWhen(drv.FailedWhenContains, s.plat.FailedWhen)

	start := time.Now()
	if s.g.inner == nil {
		if err := dial(ctx, s.dev, s.opts, s.g); err != nil {
			return err
		}
	}
	// scrapligo opens the channel (and authenticates in it, system
	// transport); the platform's on-open then runs in direct mode (onOpen),
	// not in scrapligo's polling loops.
	stop := context.AfterFunc(ctx, func() { _ = s.g.Close() })
	drv.OnOpen = nil
	err = drv.Open()
	if err == nil {
		err = s.enterDirect(ctx)
	}
	if err == nil {
		err = s.onOpen(ctx, p.NetworkOnOpen)
	}
	if !stop() || err != nil {
		s.shutdown("connect failed")
		return s.openError(ctx, err)
	}
	s.mu.Lock()
	s.connected = true
	s.mu.Unlock()
	s.log.Debug("connected", "host", s.dev.Host, "port", devicePort(s.dev), "transport", s.opts.transport,
		"privilege", drv.CurrentPriv, "elapsed", time.Since(start))
	return nil
}

// openError classifies a failed scrapligo Open.
func (s *session) openError(ctx context.Context, err error) error {
	addr := fmt.Sprintf("%s:%d", s.dev.Host, devicePort(s.dev))
	switch {
	case ctx.Err() != nil:
		return sdk.CreationError(true, ctx.Err(), "device %s: connect to %s", s.dev.ID, addr)
	case err == nil:
		return sdk.CreationError(true, nil, "device %s: connect to %s aborted", s.dev.ID, addr)
	case errors.Is(err, util.ErrAuthError):
		return sdk.CreationError(false, err, "device %s: authentication failed for user %s on %s", s.dev.ID, s.dev.Username, addr)
	case errors.Is(err, util.ErrPrivilegeError):
		return sdk.CreationError(false, err, "device %s: could not reach the %s privilege level on %s (enable secret?)",
			s.dev.ID, s.drv.DefaultDesiredPriv, addr)
	case errors.Is(err, util.ErrTimeoutError):
		return sdk.CreationError(true, err, "device %s: no prompt from %s within %v after login", s.dev.ID, addr, s.opts.timeoutOps)
	case errors.Is(err, util.ErrConnectionError) || errors.Is(err, errClosed):
		return sdk.CreationError(true, err, "device %s: %s closed the connection during login", s.dev.ID, addr)
	}
	return sdk.CreationError(true, err, "device %s: connect to %s", s.dev.ID, addr)
}

// enterDirect parks scrapligo's read loop and takes over what it had queued.
func (s *session) enterDirect(ctx context.Context) error {
	if err := s.g.setDirect(ctx, true); err != nil {
		return err
	}
	b, _ := s.drv.Channel.ReadAll()
	s.g.unread(b)
	return nil
}

// scrapli runs f (a scrapligo operation) in scrapli mode. scrapligo does not
// take a context: ctx ending closes the session, which aborts f.
func (s *session) scrapli(ctx context.Context, f func() error) error {
	s.g.discard()
	_ = s.g.setDirect(ctx, false)
	stop := context.AfterFunc(ctx, func() { s.shutdown("cancelled during a privilege change") })
	err := f()
	stop()
	if derr := s.enterDirect(ctx); err == nil {
		err = derr
	}
	return err
}

// shutdown makes the session unusable and closes the connection.
func (s *session) shutdown(why string) {
	s.mu.Lock()
	if s.why == "" {
		s.why = why
	}
	s.mu.Unlock()
	_ = s.g.Close() // wakes scrapligo's read loop with EOF, so Channel.Close does not wait
	if s.drv != nil {
		_ = s.drv.Channel.Close()
	}
	if s.keyFile != "" {
		_ = os.Remove(s.keyFile)
	}
}

// Close closes the connection; it is safe while a call is in flight (which
// then fails) and on a session that never connected.
func (s *session) Close(context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.shutdown("closed")
	return nil
}

// Alive reports whether the device connection is up.
func (s *session) Alive(context.Context) bool {
	s.mu.Lock()
	ok := s.connected && !s.closed && s.why == ""
	s.mu.Unlock()
	return ok && s.g.IsAlive()
}

// usable returns a State error when the session cannot carry a call.
func (s *session) usable() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return sdk.StateError("session for device %s is closed", s.dev.ID)
	case s.why != "":
		return sdk.StateError("session for device %s is closed: %s; open a new connection", s.dev.ID, s.why)
	case !s.connected:
		return sdk.StateError("session for device %s is not connected", s.dev.ID)
	}
	return nil
}

// SendCommands sends each command and reads its output up to the prompt.
func (s *session) SendCommands(ctx context.Context, req sdk.CommandsRequest) ([]sdk.Response, error) {
	out := make([]sdk.Response, 0, len(req.Commands))
	for _, cmd := range req.Commands {
		r, err := s.command(ctx, cmd, req.FailedWhenContains)
		if err != nil {
			return out, err
		}
		out = append(out, r)
		if r.Failed && req.StopOnFailed {
			break
		}
	}
	return out, nil
}

// command runs one command in direct mode. A command cut short by ctx
// leaves the session usable: the next one first reads up to the abandoned
// command's prompt. A lost connection closes the session.
func (s *session) command(ctx context.Context, cmd string, callerFailedWhen []string) (sdk.Response, error) {
	r := sdk.Response{Command: cmd}
	if err := s.usable(); err != nil {
		return r, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.timeoutOps)
	defer cancel()
	start := time.Now()
	s.mu.Lock()
	resync := s.resync
	s.mu.Unlock()
	if resync {
		// A fresh prompt answers the return, whether or not the abandoned
		// command ever completes.
		if err := s.g.Write([]byte("\n")); err != nil {
			return r, s.opError(ctx, cmd, "write", err)
		}
		if err := s.resyncPrompt(ctx); err != nil {
			return r, s.opError(ctx, cmd, "still waiting for the prompt after an abandoned command", err)
		}
		s.mu.Lock()
		s.resync = false
		s.mu.Unlock()
	}
	s.g.discard()
	if err := s.g.Write([]byte(cmd + "\n")); err != nil {
		return r, s.opError(ctx, cmd, "write", err)
	}
	b, at, err := s.readPrompt(ctx, true)
	if err != nil {
		if ctx.Err() != nil && s.g.connErr() == nil {
			s.mu.Lock()
			s.resync = true
			s.mu.Unlock()
		}
		return r, s.opError(ctx, cmd, "read", err)
	}
	r.Elapsed = time.Since(start)
	r.Result = s.result(b, at, cmd)
	r.FailedWhen = failedWhen(r.Result, s.failedWhen, callerFailedWhen)
	r.Failed = r.FailedWhen != ""
	return r, nil
}

// resyncQuiet is how long the output must stay quiet after a prompt for a
// resync to be over: the abandoned command's prompt and the prompt that
// answers the resync's return may both come.
const resyncQuiet = 100 * time.Millisecond

// resyncPrompt reads up to a prompt that ends the output and is followed by
// resyncQuiet of silence.
func (s *session) resyncPrompt(ctx context.Context) error {
	for {
		if _, _, err := s.readPrompt(ctx, false); err != nil {
			return err
		}
		qctx, cancel := context.WithTimeout(ctx, resyncQuiet)
		b, err := s.g.takeInto(qctx, nil)
		cancel()
		if len(b) == 0 && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return nil
		}
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		s.g.unread(b)
	}
}

// opError turns a failed command into an Operation error; a lost
// connection also closes the session.
func (s *session) opError(ctx context.Context, cmd, step string, err error) error {
	if cerr := s.g.connErr(); cerr != nil {
		s.shutdown("connection lost")
		return sdk.OperationError(true, cerr, "device %s: %q: connection lost", s.dev.ID, cmd)
	}
	if ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return sdk.OperationError(true, ctx.Err(), "device %s: %q: timed out", s.dev.ID, cmd)
		}
		return sdk.OperationError(false, ctx.Err(), "device %s: %q: cancelled", s.dev.ID, cmd)
	}
	return sdk.OperationError(true, err, "device %s: %q: %s", s.dev.ID, cmd, step)
}

// promptSearch bounds how far back from the end a prompt is looked for
// (scrapligo's PromptSearchDepth), and maxPromptLine how long a prompt's
// last line may be.
const (
	promptSearch  = 1000
	maxPromptLine = 256
)

// readPrompt reads until the output ends with a prompt, and returns the
// output and where the prompt starts. afterEcho requires the prompt to
// follow the first line (the echo of the command just sent), so a prompt
// echoed in a command line is not taken for the device's.
func (s *session) readPrompt(ctx context.Context, afterEcho bool) ([]byte, int, error) {
	out, at, _, err := s.readUntil(ctx, afterEcho, []*regexp.Regexp{s.prompt})
	return out, at, err
}

// readUntil is readPrompt for any of res; it also returns which matched.
func (s *session) readUntil(ctx context.Context, afterEcho bool, res []*regexp.Regexp) ([]byte, int, int, error) {
	var out []byte
	var err error
	firstNL := -1
	for {
		out, err = s.g.takeInto(ctx, out)
		if err != nil {
			return out, 0, 0, err
		}
		if afterEcho && firstNL < 0 {
			// The echo line is the first non-empty one: a stray newline
			// before it (a prompt left from a resync) does not count.
			lead := len(out) - len(bytes.TrimLeft(out, "\n"))
			if i := bytes.IndexByte(out[lead:], '\n'); i >= 0 {
				firstNL = lead + i
			} else {
				continue
			}
		}
		for i, re := range res {
			if at := findPrompt(re, out, firstNL+1); at >= 0 {
				return out, at, i, nil
			}
		}
	}
}

// findPrompt returns where a prompt (a match of re) ending the output starts, or -1. Only the
// tail is searched, and only when the output does not end a line: a 64 MiB
// output costs one short regex match per chunk that ends mid-line.
func findPrompt(re *regexp.Regexp, out []byte, from int) int {
	n := len(out)
	if n == 0 || out[n-1] == '\n' || n-bytes.LastIndexByte(out, '\n')-1 > maxPromptLine {
		return -1
	}
	start := max(from, n-promptSearch)
	tail := out[start:]
	if start > from {
		if i := bytes.IndexByte(tail, '\n'); i >= 0 {
			tail, start = tail[i+1:], start+i+1
		}
	}
	locs := re.FindAllIndex(tail, -1)
	if len(locs) == 0 {
		return -1
	}
	l := locs[len(locs)-1]
	if len(bytes.TrimSpace(tail[l[1]:])) != 0 {
		return -1
	}
	// The match may begin with the newline that ends the previous line.
	for l[0] < l[1] && tail[l[0]] == '\n' {
		l[0]++
	}
	return start + l[0]
}

// result is the output between the command's echo and the prompt, as
// scrapligo returns it (prompt stripped, surrounding newlines trimmed).
func (s *session) result(out []byte, promptAt int, cmd string) string {
	prompt := strings.TrimSpace(string(out[promptAt:]))
	// The echo is the first non-empty line, as in readUntil: a stray newline
	// (a prompt redrawn after a resync or by a shell) may come before it.
	body := bytes.TrimLeft(out[:promptAt], "\n")
	if nl := bytes.IndexByte(body, '\n'); nl >= 0 {
		if echoed(body[:nl], cmd) {
			body = body[nl+1:]
		}
	} else if echoed(body, cmd) {
		body = nil
	}
	body = bytes.TrimRight(body, "\n")
	for _, l := range s.plat.Config.StripLines {
		if t, ok := bytes.CutSuffix(body, []byte(l)); ok && (len(t) == 0 || t[len(t)-1] == '\n') {
			body = bytes.TrimRight(t, "\n")
		}
	}
	s.mu.Lock()
	s.lastPrompt = prompt
	s.mu.Unlock()
	return string(bytes.TrimLeft(body, "\n"))
}

func echoed(line []byte, cmd string) bool {
	c := strings.TrimSpace(cmd)
	return c == "" && len(bytes.TrimSpace(line)) == 0 || c != "" && bytes.Contains(line, []byte(c))
}

// GetVersion runs the platform's version command(s) and parses the facts.
func (s *session) GetVersion(ctx context.Context) (sdk.DeviceInfo, error) {
	v := s.plat.Version
	outputs := map[string]string{}
	run := func(cmd string) (string, error) {
		if o, ok := outputs[cmd]; ok {
			return o, nil
		}
		r, err := s.command(ctx, cmd, nil)
		if err != nil {
			return "", err
		}
		if r.Failed {
			return "", sdk.OperationError(false, nil, "device %s: %q failed: %s", s.dev.ID, cmd, firstLine(r.Result, r.FailedWhen))
		}
		outputs[cmd] = r.Result
		return r.Result, nil
	}
	raw, err := run(v.Command)
	if err != nil {
		return sdk.DeviceInfo{}, err
	}
	info := sdk.DeviceInfo{Platform: s.dev.Platform, Raw: raw}
	for _, f := range []struct {
		def *factDef
		dst *string
	}{{&v.Vendor, &info.Vendor}, {&v.Hostname, &info.Hostname}, {&v.Model, &info.Model},
		{&v.Serial, &info.Serial}, {&v.SoftwareRelease, &info.SoftwareRelease}} {
		text := raw
		switch {
		case f.def.From == "prompt":
			s.mu.Lock()
			text = s.lastPrompt
			s.mu.Unlock()
		case f.def.Command != "" && f.def.Command != v.Command:
			out, err := run(f.def.Command)
			if err != nil {
				return info, err
			}
			text = out
			info.Raw += "\n" + out
		}
		*f.dst = f.def.extract(text)
	}
	return info, nil
}

func firstLine(s, around string) string {
	i := strings.Index(s, around)
	if i < 0 {
		i = 0
	}
	line := s[i:]
	if j := strings.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	return line
}

// SendConfig enters configuration mode (scrapligo's privilege change),
// sends each line directly, commits or discards on platforms that commit,
// and returns to the default privilege level. A failure midway on a
// platform that commits discards everything; elsewhere the lines before it
// are in effect, as on the device's own CLI.
func (s *session) SendConfig(ctx context.Context, req sdk.ConfigRequest) (sdk.ConfigResult, error) {
	var res sdk.ConfigResult
	if err := s.usable(); err != nil {
		return res, err
	}
	cfg := s.plat.Config
	if req.DryRun && !cfg.commits() {
		return res, sdk.Errorf(sdk.KindValidation, "device %s: platform %s applies configuration as it is entered: a dry run is not possible",
			s.dev.ID, s.dev.Platform)
	}
	if cfg.Privilege != "" {
		if err := s.scrapli(ctx, func() error { return s.drv.AcquirePriv(cfg.Privilege) }); err != nil {
			return res, s.configError(ctx, "enter configuration mode", err)
		}
	}
	for _, line := range req.Lines {
		r, err := s.command(ctx, line, req.FailedWhenContains)
		if err != nil {
			s.shutdown("a configuration change was interrupted")
			return res, err
		}
		res.Responses = append(res.Responses, r)
		if r.Failed {
			res.Failed = true
			if req.StopOnFailed || cfg.commits() {
				break
			}
		}
	}
	if cfg.commits() {
		if err := s.finishCommit(ctx, req, &res); err != nil {
			s.shutdown("a configuration change was interrupted")
			return res, err
		}
	} else {
		res.Committed = !res.Failed
	}
	if cfg.Privilege != "" {
		if err := s.scrapli(ctx, func() error { return s.drv.AcquirePriv(s.drv.DefaultDesiredPriv) }); err != nil {
			return res, s.configError(ctx, "leave configuration mode", err)
		}
	}
	return res, nil
}

func (s *session) finishCommit(ctx context.Context, req sdk.ConfigRequest, res *sdk.ConfigResult) error {
	cfg := s.plat.Config
	run := func(cmd string) (sdk.Response, error) { return s.command(ctx, cmd, req.FailedWhenContains) }
	if !res.Failed && req.DryRun && cfg.Check != "" {
		r, err := run(cfg.Check)
		if err != nil {
			return err
		}
		res.CommitOutput, res.Failed = r.Result, r.Failed
	}
	if !res.Failed && !req.DryRun {
		r, err := run(cfg.Commit)
		if err != nil {
			return err
		}
		res.CommitOutput = r.Result
		if r.Failed || cfg.CommitOK != "" && !strings.Contains(r.Result, cfg.CommitOK) {
			res.Failed = true
		} else {
			res.Committed = true
			return nil
		}
	}
	if _, err := run(cfg.Discard); err != nil {
		return err
	}
	res.Discarded = true
	return nil
}

func (s *session) configError(ctx context.Context, step string, err error) error {
	s.shutdown("lost track of the privilege level")
	if ctx.Err() != nil {
		return sdk.OperationError(errors.Is(ctx.Err(), context.DeadlineExceeded), ctx.Err(), "device %s: %s", s.dev.ID, step)
	}
	return sdk.OperationError(true, err, "device %s: %s", s.dev.ID, step)
}

// channelLogger logs the channel at DEBUG with the device's secrets
// redacted (the SDK redacts them too; this does not rely on it).
func channelLogger(log sdk.Logger, dev sdk.Device) func(dir string, b []byte) {
	var pairs []string
	for _, sec := range dev.Secrets() {
		pairs = append(pairs, sec, sdk.Redacted)
	}
	red := strings.NewReplacer(pairs...)
	return func(dir string, b []byte) {
		log.Debug("channel "+dir, "data", red.Replace(string(b)))
	}
}
