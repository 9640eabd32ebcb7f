package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/netyard/netyard/sdk"
)

// session is one fake device session. Every result names the device, so a
// test can tell which session answered.
type session struct {
	dev   sdk.Device
	log   sdk.Logger
	fault fault

	mu        sync.Mutex
	connected bool
	dropped   bool
	config    []string          // cli.config lines applied
	stores    map[string]string // NETCONF datastores
	locks     map[string]bool   // NETCONF locked datastores
	restconf  map[string][]byte // RESTCONF resources by path
}

var (
	_ sdk.Session          = (*session)(nil)
	_ sdk.Aliver           = (*session)(nil)
	_ sdk.CLI              = (*session)(nil)
	_ sdk.CLIConfig        = (*session)(nil)
	_ sdk.DeviceInfoGetter = (*session)(nil)
	_ sdk.NETCONF          = (*session)(nil)
	_ sdk.API              = (*session)(nil)
	_ sdk.RESTCONF         = (*session)(nil)
	_ sdk.Invoker          = (*session)(nil)
)

func newSession(req sdk.OpenRequest) (*session, error) {
	f, err := parseFault(req.Device.Options[FaultOption])
	if err != nil {
		return nil, sdk.Errorf(sdk.KindValidation, "device %s: option %s: %w", req.Device.ID, FaultOption, err)
	}
	return &session{
		dev: req.Device, log: req.Logger, fault: f,
		stores:   map[string]string{"running": "", "candidate": ""},
		locks:    map[string]bool{},
		restconf: map[string][]byte{},
	}, nil
}

func (s *session) option(name, def string) string {
	if v, ok := s.dev.Options[name]; ok {
		return v
	}
	return def
}

// Connect applies the connect faults; otherwise it succeeds at once.
func (s *session) Connect(ctx context.Context) error {
	if err := s.onConnect(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	s.connected = true
	s.mu.Unlock()
	s.log.Debug("connected", "host", s.dev.Host, "user", s.dev.Username)
	return nil
}

// Close leaves children started by spawn-child alone: killing them when the
// process exits is the SDK's job, and what tests check.
func (s *session) Close(context.Context) error {
	s.mu.Lock()
	s.connected = false
	s.mu.Unlock()
	return nil
}

// Alive is false after the "drop" command.
func (s *session) Alive(context.Context) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connected && !s.dropped
}

func (s *session) output(cmd string) string {
	return fmt.Sprintf("output of %s on %s", cmd, s.dev.ID)
}

// SendCommands answers "output of <cmd> on <device id>", except for these
// commands:
//
//	big <N>                  N bytes of output
//	pid                      the plugin's process id
//	sleep <d>                waits d, or until the call is cancelled
//	echo-secret              logs the device password at TRACE, answers "ok"
//	spawn-child              starts "sleep 300" and answers its pid
//	chatter <d>              logs a line every d until the process exits
//	show running-config      the lines applied through cli.config
//	drop                     the connection drops: Alive is false, calls fail
//	error <kind> [retryable] fails with an error of that kind (operation, state, validation, internal, not_implemented)
//	exit <code>              the process exits at once
func (s *session) SendCommands(ctx context.Context, req sdk.CommandsRequest) ([]sdk.Response, error) {
	if err := s.onCall("SendCommands"); err != nil {
		return nil, err
	}
	var out []sdk.Response
	for _, cmd := range req.Commands {
		start := time.Now()
		result, err := s.command(ctx, cmd)
		if err != nil {
			return nil, err
		}
		r := sdk.Response{Command: cmd, Result: result, Elapsed: time.Since(start)}
		r.Failed, r.FailedWhen = failedWhen(result, req.FailedWhenContains)
		out = append(out, r)
		if r.Failed && req.StopOnFailed {
			break
		}
	}
	return out, nil
}

func failedWhen(result string, when []string) (bool, string) {
	for _, w := range when {
		if w != "" && strings.Contains(result, w) {
			return true, w
		}
	}
	return false, ""
}

func (s *session) command(ctx context.Context, cmd string) (string, error) {
	f := strings.Fields(cmd)
	if len(f) == 0 {
		return s.output(cmd), nil
	}
	arg := func() (string, error) {
		if len(f) < 2 {
			return "", sdk.Errorf(sdk.KindValidation, "device %s: command %q needs an argument", s.dev.ID, f[0])
		}
		return f[1], nil
	}
	switch f[0] {
	case "big":
		a, err := arg()
		if err != nil {
			return "", err
		}
		n, err := strconv.Atoi(a)
		if err != nil || n < 0 {
			return "", sdk.Errorf(sdk.KindValidation, "device %s: big <bytes>: %q is not a size", s.dev.ID, a)
		}
		return bigOutput(n), nil
	case "pid":
		return strconv.Itoa(os.Getpid()), nil
	case "sleep":
		a, err := arg()
		if err != nil {
			return "", err
		}
		d, err := time.ParseDuration(a)
		if err != nil {
			return "", sdk.Errorf(sdk.KindValidation, "device %s: sleep <duration>: %w", s.dev.ID, err)
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return s.output(cmd), nil
		case <-ctx.Done():
			return "", fmt.Errorf("device %s: %s interrupted: %w", s.dev.ID, cmd, ctx.Err())
		}
	case "echo-secret":
		s.log.Trace("echo-secret: logging the device password", "password", s.dev.Password)
		return "ok", nil
	case "spawn-child":
		c := exec.Command("sleep", "300")
		if err := c.Start(); err != nil {
			return "", sdk.OperationError(false, err, "device %s: spawn-child", s.dev.ID)
		}
		go func() { _ = c.Wait() }() // reap it when it dies
		return strconv.Itoa(c.Process.Pid), nil
	case "chatter":
		a, err := arg()
		if err != nil {
			return "", err
		}
		d, err := time.ParseDuration(a)
		if err != nil || d <= 0 {
			return "", sdk.Errorf(sdk.KindValidation, "device %s: chatter <interval>: %q", s.dev.ID, a)
		}
		go func() {
			for n := 0; ; n++ {
				time.Sleep(d)
				s.log.Info("chatter", "n", n)
			}
		}()
		return s.output(cmd), nil
	case "show":
		if strings.TrimSpace(strings.TrimPrefix(cmd, "show")) == "running-config" {
			s.mu.Lock()
			defer s.mu.Unlock()
			return strings.Join(s.config, "\n"), nil
		}
	case "drop":
		s.mu.Lock()
		s.dropped = true
		s.mu.Unlock()
		return s.output(cmd), nil
	case "error":
		a, err := arg()
		if err != nil {
			return "", err
		}
		e := sdk.Errorf(sdk.Kind(strings.ToUpper(a)), "device %s: requested %s error", s.dev.ID, a)
		e.Retryable = slices.Contains(f[2:], "retryable")
		return "", e
	case "exit":
		a, err := arg()
		if err != nil {
			return "", err
		}
		code, _ := strconv.Atoi(a)
		os.Exit(code)
	}
	return s.output(cmd), nil
}

// bigOutput is n bytes of a pattern whose every 16-byte block says its own
// offset, so a test can check that nothing was lost or reordered.
func bigOutput(n int) string {
	var b strings.Builder
	b.Grow(n + 16)
	for off := 0; b.Len() < n; off += 16 {
		fmt.Fprintf(&b, "%015x\n", off)
	}
	return b.String()[:n]
}

// SendConfig records the lines; "show running-config" shows them. A dry run
// records nothing and reports the change discarded.
func (s *session) SendConfig(_ context.Context, req sdk.ConfigRequest) (sdk.ConfigResult, error) {
	if err := s.onCall("SendConfig"); err != nil {
		return sdk.ConfigResult{}, err
	}
	var res sdk.ConfigResult
	var applied []string
	for _, line := range req.Lines {
		r := sdk.Response{Command: line, Result: fmt.Sprintf("applied %s on %s", line, s.dev.ID)}
		r.Failed, r.FailedWhen = failedWhen(line, req.FailedWhenContains)
		res.Responses = append(res.Responses, r)
		if r.Failed {
			res.Failed = true
			if req.StopOnFailed {
				break
			}
			continue
		}
		applied = append(applied, line)
	}
	if req.DryRun || res.Failed {
		res.Discarded = true
		return res, nil
	}
	s.mu.Lock()
	s.config = append(s.config, applied...)
	s.mu.Unlock()
	res.Committed = true
	res.CommitOutput = fmt.Sprintf("committed %d lines on %s", len(applied), s.dev.ID)
	return res, nil
}

// GetVersion reports facts from the device options of the same name, or
// defaults.
func (s *session) GetVersion(context.Context) (sdk.DeviceInfo, error) {
	if err := s.onCall("GetVersion"); err != nil {
		return sdk.DeviceInfo{}, err
	}
	host := s.dev.Name
	if host == "" {
		host = s.dev.ID
	}
	info := sdk.DeviceInfo{
		Hostname:        s.option("hostname", host),
		Vendor:          s.option("vendor", "netyard"),
		Model:           s.option("model", "fake-1000"),
		Serial:          s.option("serial", "FAKE0001"),
		SoftwareRelease: s.option("software_release", "1.0.0"),
		Platform:        s.dev.Platform,
	}
	info.Raw = fmt.Sprintf("hostname %s\nvendor %s\nmodel %s\nserial %s\nrelease %s\n",
		info.Hostname, info.Vendor, info.Model, info.Serial, info.SoftwareRelease)
	return info, nil
}

// Invoke serves the echo capability: method "echo" returns its input,
// method "pid" returns {"pid": N}.
func (s *session) Invoke(_ context.Context, capability, method string, in json.RawMessage) (json.RawMessage, error) {
	if err := s.onCall("Invoke"); err != nil {
		return nil, err
	}
	if capability != EchoCapability {
		return nil, sdk.NotImplementedError(capability, method)
	}
	switch method {
	case "echo":
		return in, nil
	case "pid":
		return json.Marshal(map[string]int{"pid": os.Getpid()})
	}
	return nil, sdk.NotImplementedError(capability, method)
}

// API echoes the request as JSON with status 200; a path /status/<code>
// answers that status.
func (s *session) Do(_ context.Context, req sdk.APIRequest) (sdk.APIResponse, error) {
	if err := s.onCall("Do"); err != nil {
		return sdk.APIResponse{}, err
	}
	status := 200
	if code, ok := strings.CutPrefix(req.Path, "/status/"); ok {
		if n, err := strconv.Atoi(code); err == nil {
			status = n
		}
	}
	body, err := json.Marshal(map[string]any{
		"device": s.dev.ID, "method": req.Method, "path": req.Path,
		"query": req.Query, "headers": req.Headers, "body": string(req.Body),
	})
	if err != nil {
		return sdk.APIResponse{}, err
	}
	return sdk.APIResponse{Status: status, Body: body, Attempts: 1,
		Headers: []sdk.Header{{Name: "Content-Type", Value: "application/json"}}}, nil
}

// Restconf keeps resources by path: PUT, POST and PATCH store the body,
// DELETE removes it, GET returns it or, for a path never written, a JSON
// document naming the path and device. Paths starting with "missing" are 404.
func (s *session) Restconf(_ context.Context, req sdk.RestconfRequest) (sdk.RestconfResponse, error) {
	if err := s.onCall("Restconf"); err != nil {
		return sdk.RestconfResponse{}, err
	}
	hdr := []sdk.Header{{Name: "Content-Type", Value: "application/yang-data+json"}}
	if strings.HasPrefix(req.Path, "missing") {
		return sdk.RestconfResponse{Status: 404, Headers: hdr,
			Body:   []byte(`{"ietf-restconf:errors":{"error":[{"error-type":"protocol","error-tag":"invalid-value","error-message":"uri keypath not found"}]}}`),
			Errors: []sdk.RestconfError{{Type: "protocol", Tag: "invalid-value", Path: req.Path, Message: "uri keypath not found"}}}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch strings.ToUpper(req.Method) {
	case "GET", "":
		if b, ok := s.restconf[req.Path]; ok {
			return sdk.RestconfResponse{Status: 200, Body: b, Headers: hdr}, nil
		}
		b, err := json.Marshal(map[string]any{"netyard-fake:data": map[string]string{"path": req.Path, "device": s.dev.ID}})
		return sdk.RestconfResponse{Status: 200, Body: b, Headers: hdr}, err
	case "PUT", "PATCH":
		_, existed := s.restconf[req.Path]
		s.restconf[req.Path] = slices.Clone(req.Body)
		if existed {
			return sdk.RestconfResponse{Status: 204}, nil
		}
		return sdk.RestconfResponse{Status: 201}, nil
	case "POST":
		s.restconf[req.Path] = slices.Clone(req.Body)
		return sdk.RestconfResponse{Status: 201}, nil
	case "DELETE":
		delete(s.restconf, req.Path)
		return sdk.RestconfResponse{Status: 204}, nil
	}
	return sdk.RestconfResponse{}, sdk.Errorf(sdk.KindValidation, "device %s: RESTCONF method %q", s.dev.ID, req.Method)
}
