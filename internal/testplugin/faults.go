package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/netyard/netyard/sdk"
)

// FaultOption is the device option that picks a session's fault:
//
//	crash-on-call     the process exits (status 2) inside the next capability call
//	crash-on-connect  the process exits (status 2) inside Connect
//	hang-on-call      capability calls block forever, ignoring their context
//	hang-on-connect   Connect blocks forever, ignoring its context
//	auth-fail         Connect fails: creation error, not retryable
//	unreachable       Connect fails: creation error, retryable
//	slow-connect=<d>  Connect takes d (honouring its context)
//	panic-on-call     capability calls panic
const FaultOption = "fault"

type fault struct {
	name string
	arg  time.Duration
}

func parseFault(s string) (fault, error) {
	name, arg, hasArg := strings.Cut(strings.TrimSpace(s), "=")
	f := fault{name: name}
	switch name {
	case "", "crash-on-call", "crash-on-connect", "hang-on-call", "hang-on-connect", "auth-fail", "unreachable", "panic-on-call":
		if hasArg {
			return f, fmt.Errorf("fault %s takes no argument", name)
		}
	case "slow-connect":
		d, err := time.ParseDuration(arg)
		if err != nil {
			return f, fmt.Errorf("fault slow-connect=<duration>: %v", err)
		}
		f.arg = d
	default:
		return f, fmt.Errorf("unknown fault %q", s)
	}
	return f, nil
}

// hang blocks forever, ignoring every context: a hung plugin.
func hang() { <-make(chan struct{}) }

// crash exits the whole process in the middle of a call.
func crash(log sdk.Logger, where string) {
	log.Error("fault: crashing the plugin process", "in", where)
	os.Exit(2)
}

func (s *session) onConnect(ctx context.Context) error {
	d := s.dev
	switch s.fault.name {
	case "crash-on-connect":
		crash(s.log, "Connect")
	case "hang-on-connect":
		hang()
	case "auth-fail":
		return sdk.CreationError(false, nil, "authentication failed for user %s on device %s", d.Username, d.ID)
	case "unreachable":
		return sdk.CreationError(true, nil, "device %s at %s:%d is unreachable: connection timed out", d.ID, d.Host, d.Port)
	case "slow-connect":
		t := time.NewTimer(s.fault.arg)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return sdk.CreationError(true, ctx.Err(), "device %s: connect interrupted", d.ID)
		}
	}
	return nil
}

// onCall runs at the start of every capability call.
func (s *session) onCall(where string) error {
	switch s.fault.name {
	case "crash-on-call":
		crash(s.log, where)
	case "hang-on-call":
		hang()
	case "panic-on-call":
		panic("testplugin: panic-on-call in " + where)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dropped {
		return sdk.OperationError(false, nil, "device %s: connection dropped", s.dev.ID)
	}
	return nil
}
