package main

import (
	"context"
	"fmt"
	"html"
	"strings"

	"github.com/netyard/netyard/sdk"
)

// netconfSessionID is the NETCONF session id of every fake reply.
const netconfSessionID = 42

// NETCONF datastores are strings: edit-config appends the config to the
// target, commit copies candidate to running. A config containing "invalid"
// is refused with an rpc-error; locking a locked datastore is lock-denied.

func (s *session) reply(data string) sdk.NetconfReply {
	return sdk.NetconfReply{Data: data, OK: true, SessionID: netconfSessionID}
}

func rpcError(tag, path, msg string) sdk.NetconfReply {
	return sdk.NetconfReply{SessionID: netconfSessionID, Errors: []sdk.NetconfError{{
		Type: "application", Tag: tag, Severity: "error", Path: path, Message: msg}}}
}

func (s *session) store(name string) (string, bool) {
	if name == "" {
		name = "running"
	}
	v, ok := s.stores[name]
	return v, ok
}

func badStore(name string) sdk.NetconfReply {
	return rpcError("invalid-value", "", fmt.Sprintf("no datastore %q", name))
}

// ServerCapabilities lists base 1.0 and 1.1 and the candidate datastore.
func (s *session) ServerCapabilities(context.Context) ([]string, error) {
	if err := s.onCall("ServerCapabilities"); err != nil {
		return nil, err
	}
	return []string{
		"urn:ietf:params:netconf:base:1.0",
		"urn:ietf:params:netconf:base:1.1",
		"urn:ietf:params:netconf:capability:candidate:1.0",
		"urn:ietf:params:netconf:capability:validate:1.1",
	}, nil
}

// Get returns a small document naming the device and echoing the filter.
func (s *session) Get(_ context.Context, filter sdk.NetconfFilter) (sdk.NetconfReply, error) {
	if err := s.onCall("Get"); err != nil {
		return sdk.NetconfReply{}, err
	}
	return s.reply(fmt.Sprintf(`<system xmlns="urn:netyard:fake"><hostname>%s</hostname><filter type="%s">%s</filter></system>`,
		html.EscapeString(s.option("hostname", s.dev.ID)), html.EscapeString(filter.Type), html.EscapeString(filter.Content))), nil
}

// GetConfig returns what edit-config and commit put in the datastore.
func (s *session) GetConfig(_ context.Context, source string, _ sdk.NetconfFilter) (sdk.NetconfReply, error) {
	if err := s.onCall("GetConfig"); err != nil {
		return sdk.NetconfReply{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.store(source)
	if !ok {
		return badStore(source), nil
	}
	return s.reply(v), nil
}

// EditConfig appends to the target datastore.
func (s *session) EditConfig(_ context.Context, edit sdk.EditConfig) (sdk.NetconfReply, error) {
	if err := s.onCall("EditConfig"); err != nil {
		return sdk.NetconfReply{}, err
	}
	if strings.Contains(edit.Config, "invalid") {
		return rpcError("invalid-value", "/config", "invalid value in edit-config"), nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	target := edit.Target
	if target == "" {
		target = "running"
	}
	v, ok := s.store(target)
	if !ok {
		return badStore(target), nil
	}
	if edit.DefaultOperation == "replace" {
		v = ""
	}
	s.stores[target] = v + edit.Config
	return s.reply(""), nil
}

func (s *session) setLock(target string, lock bool) (sdk.NetconfReply, error) {
	if err := s.onCall("Lock"); err != nil {
		return sdk.NetconfReply{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.store(target); !ok {
		return badStore(target), nil
	}
	if s.locks[target] == lock {
		if lock {
			return rpcError("lock-denied", "", "datastore "+target+" is already locked"), nil
		}
		return rpcError("operation-failed", "", "datastore "+target+" is not locked"), nil
	}
	s.locks[target] = lock
	return s.reply(""), nil
}

// Lock locks a datastore; locking it twice is lock-denied.
func (s *session) Lock(_ context.Context, target string) (sdk.NetconfReply, error) {
	return s.setLock(target, true)
}

// Unlock unlocks a datastore.
func (s *session) Unlock(_ context.Context, target string) (sdk.NetconfReply, error) {
	return s.setLock(target, false)
}

// Commit copies candidate to running.
func (s *session) Commit(context.Context, sdk.CommitOptions) (sdk.NetconfReply, error) {
	if err := s.onCall("Commit"); err != nil {
		return sdk.NetconfReply{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stores["running"] = s.stores["candidate"]
	return s.reply(""), nil
}

// CancelCommit succeeds.
func (s *session) CancelCommit(context.Context, string) (sdk.NetconfReply, error) {
	if err := s.onCall("CancelCommit"); err != nil {
		return sdk.NetconfReply{}, err
	}
	return s.reply(""), nil
}

// DiscardChanges resets candidate to running.
func (s *session) DiscardChanges(context.Context) (sdk.NetconfReply, error) {
	if err := s.onCall("DiscardChanges"); err != nil {
		return sdk.NetconfReply{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stores["candidate"] = s.stores["running"]
	return s.reply(""), nil
}

// Validate refuses a datastore holding "invalid".
func (s *session) Validate(_ context.Context, source string) (sdk.NetconfReply, error) {
	if err := s.onCall("Validate"); err != nil {
		return sdk.NetconfReply{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.store(source)
	if !ok {
		return badStore(source), nil
	}
	if strings.Contains(v, "invalid") {
		return rpcError("invalid-value", "", "datastore "+source+" does not validate"), nil
	}
	return s.reply(""), nil
}

// CopyConfig copies one datastore onto another.
func (s *session) CopyConfig(_ context.Context, target, source string) (sdk.NetconfReply, error) {
	if err := s.onCall("CopyConfig"); err != nil {
		return sdk.NetconfReply{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.store(source)
	if !ok {
		return badStore(source), nil
	}
	if _, ok := s.store(target); !ok {
		return badStore(target), nil
	}
	s.stores[target] = v
	return s.reply(""), nil
}

// DeleteConfig empties a datastore; running cannot be deleted (RFC 6241).
func (s *session) DeleteConfig(_ context.Context, target string) (sdk.NetconfReply, error) {
	if err := s.onCall("DeleteConfig"); err != nil {
		return sdk.NetconfReply{}, err
	}
	if target == "running" || target == "" {
		return rpcError("operation-not-supported", "", "the running datastore cannot be deleted"), nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.store(target); !ok {
		return badStore(target), nil
	}
	s.stores[target] = ""
	return s.reply(""), nil
}

// RPC wraps the body in an rpc-reply.
func (s *session) RPC(_ context.Context, body string) (sdk.NetconfReply, error) {
	if err := s.onCall("RPC"); err != nil {
		return sdk.NetconfReply{}, err
	}
	return s.reply(`<rpc-reply message-id="1" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">` + body + `</rpc-reply>`), nil
}
