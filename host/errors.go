package host

import (
	"errors"
	"fmt"
	"strings"
)

// ErrConnection is the root of every error the host returns about a
// connection: errors.Is(err, host.ErrConnection) holds for all of them. Use
// errors.As with the typed errors below to decide what to do.
var ErrConnection = errors.New("netyard connection error")

// base carries what every connection error has: the device and the cause.
type base struct {
	DeviceID string // the device the error is about ("" when none)
	Cause    error  // the underlying error, if any

	// pluginErr is the error as the plugin reported it (its kind, whether
	// retryable, details); errors.As(err, new(*sdk.Error)) finds it.
	pluginErr error
}

func (b base) prefix() string {
	if b.DeviceID == "" {
		return ""
	}
	return "device " + b.DeviceID + ": "
}

func (b base) suffix() string {
	if b.Cause == nil {
		return ""
	}
	return ": " + b.Cause.Error()
}

// ValidationError reports device data that cannot be used: every missing or
// invalid field at once. Retrying will not help; fix the device record.
type ValidationError struct {
	base
	Missing []string          // required fields that are empty
	Invalid map[string]string // field -> what is wrong with it
}

func (e *ValidationError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "missing required field(s) "+strings.Join(e.Missing, ", "))
	}
	for _, f := range sortedKeys(e.Invalid) {
		parts = append(parts, f+" "+e.Invalid[f])
	}
	return e.prefix() + "invalid device: " + strings.Join(parts, "; ") + e.suffix()
}

// PluginNotFoundError reports that no registered entry serves the request.
type PluginNotFoundError struct {
	base
	Platform, Type, Library string
	// Available lists what exists for the platform, as "type/library (plugin)".
	Available []string
}

func (e *PluginNotFoundError) Error() string {
	want := "platform " + e.Platform
	if e.Type != "" {
		want += ", type " + e.Type
	}
	if e.Library != "" {
		want += ", library " + e.Library
	}
	s := e.prefix() + "no plugin for " + want
	if len(e.Available) == 0 {
		s += "; nothing is registered for platform " + e.Platform + " (check the plugin directories: netyard plugins list)"
	} else {
		s += "; registered for " + e.Platform + ": " + strings.Join(e.Available, ", ")
	}
	return s + e.suffix()
}

// Candidate is one registered entry that could serve a request.
type Candidate struct {
	Plugin       string
	Type         string
	Library      string
	Capabilities []string
}

func (c Candidate) String() string {
	return fmt.Sprintf("%s/%s (plugin %s; capabilities %s)", c.Type, c.Library, c.Plugin, strings.Join(c.Capabilities, ", "))
}

// AmbiguousError reports several candidates and no default to settle it.
type AmbiguousError struct {
	base
	Platform   string
	Candidates []Candidate
	Reason     string
}

func (e *AmbiguousError) Error() string {
	cs := make([]string, len(e.Candidates))
	for i, c := range e.Candidates {
		cs[i] = c.String()
	}
	return e.prefix() + fmt.Sprintf("ambiguous plugin for platform %s: %s; candidates: %s; name a type and library, or set fallback to use defaults",
		e.Platform, e.Reason, strings.Join(cs, "; ")) + e.suffix()
}

// RegistrationError reports a plugin that cannot be registered or trusted:
// a bad manifest, conflicting defaults, a checksum mismatch, a binary that
// contradicts its manifest.
type RegistrationError struct {
	base
	Plugin string
	File   string // the manifest (or lock file) at fault
	Field  string // the field at fault, if one
	Reason string
}

func (e *RegistrationError) Error() string {
	s := e.prefix() + "plugin registration"
	if e.Plugin != "" {
		s += " of " + e.Plugin
	}
	if e.File != "" {
		s += " (" + e.File
		if e.Field != "" {
			s += ", field " + e.Field
		}
		s += ")"
	}
	return s + ": " + e.Reason + e.suffix()
}

// CreationError reports a connection that could not be made: the plugin
// failed to start, or the device refused or could not be reached.
type CreationError struct {
	base
	Plugin    string
	Reason    string
	Retryable bool // a retry with backoff may succeed (unreachable, timeout)
}

func (e *CreationError) Error() string {
	r := "not retryable"
	if e.Retryable {
		r = "retryable"
	}
	return e.prefix() + fmt.Sprintf("connection via %s failed (%s): %s", e.Plugin, r, e.Reason) + e.suffix()
}

// State values of StateError.
const (
	StateNotInitialised     = "not initialised"
	StateAlreadyInitialised = "already initialised"
	StateStillAlive         = "still alive"
	StateClosed             = "closed"
	StatePluginDied         = "plugin process died"
)

// StateError reports a call that the connection's state does not allow:
// closed, not connected yet, already connected, or its plugin process died.
type StateError struct {
	base
	Plugin string
	State  string // one of the State constants
	Reason string
}

func (e *StateError) Error() string {
	s := e.prefix() + "connection " + e.State
	if e.Plugin != "" {
		s += " (plugin " + e.Plugin + ")"
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s + e.suffix()
}

// NotImplementedError reports a capability, method or platform the resolved
// plugin does not serve.
type NotImplementedError struct {
	base
	Proxy      string // the caller's view: the client type asked for, e.g. host.CLI
	Method     string
	Capability string
	Platform   string
	Plugin     string
}

func (e *NotImplementedError) Error() string {
	return e.prefix() + fmt.Sprintf("%s.%s: capability %q is not implemented by plugin %s for platform %s",
		e.Proxy, e.Method, e.Capability, e.Plugin, e.Platform) + e.suffix()
}

// OperationError reports a device operation that failed after the
// connection was made: a timeout, a dropped connection, a cancelled call.
type OperationError struct {
	base
	Plugin    string
	Op        string
	Reason    string
	Retryable bool
}

func (e *OperationError) Error() string {
	return e.prefix() + fmt.Sprintf("%s via %s failed: %s", e.Op, e.Plugin, e.Reason) + e.suffix()
}

// Every typed error matches ErrConnection and unwraps to its cause.
func (e *ValidationError) Is(t error) bool     { return t == ErrConnection }
func (e *PluginNotFoundError) Is(t error) bool { return t == ErrConnection }
func (e *AmbiguousError) Is(t error) bool      { return t == ErrConnection }
func (e *RegistrationError) Is(t error) bool   { return t == ErrConnection }
func (e *CreationError) Is(t error) bool       { return t == ErrConnection }
func (e *StateError) Is(t error) bool          { return t == ErrConnection }
func (e *NotImplementedError) Is(t error) bool { return t == ErrConnection }
func (e *OperationError) Is(t error) bool      { return t == ErrConnection }

// Unwrap returns the cause, or the plugin's own error (*sdk.Error).
func (b base) Unwrap() error {
	if b.Cause != nil {
		return b.Cause
	}
	return b.pluginErr
}

// Kind names an error for the CLI and JSON output: validation,
// plugin_not_found, ambiguous, registration, creation, state,
// not_implemented, operation; "" for errors that are not connection errors.
func Kind(err error) string {
	var (
		v  *ValidationError
		nf *PluginNotFoundError
		a  *AmbiguousError
		r  *RegistrationError
		c  *CreationError
		s  *StateError
		ni *NotImplementedError
		o  *OperationError
	)
	switch {
	case errors.As(err, &v):
		return "validation"
	case errors.As(err, &nf):
		return "plugin_not_found"
	case errors.As(err, &a):
		return "ambiguous"
	case errors.As(err, &r):
		return "registration"
	case errors.As(err, &c):
		return "creation"
	case errors.As(err, &s):
		return "state"
	case errors.As(err, &ni):
		return "not_implemented"
	case errors.As(err, &o):
		return "operation"
	}
	return ""
}

// Retryable reports whether retrying err with backoff may succeed.
func Retryable(err error) bool {
	var c *CreationError
	if errors.As(err, &c) {
		return c.Retryable
	}
	var o *OperationError
	if errors.As(err, &o) {
		return o.Retryable
	}
	return false
}
