package sdk

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Kind classifies an error for the host; the host turns each kind into the
// matching typed error (host.CreationError, host.StateError, ...).
type Kind string

// Error kinds a plugin may return. They cross the wire as a gRPC status whose
// ErrorInfo reason is the kind.
const (
	KindValidation     Kind = "VALIDATION"      // device data a plugin cannot use
	KindCreation       Kind = "CREATION"        // auth, unreachable, timeout while connecting
	KindState          Kind = "STATE"           // not connected, already connected, closed
	KindNotImplemented Kind = "NOT_IMPLEMENTED" // capability, method or platform not served
	KindRegistration   Kind = "REGISTRATION"    // the plugin contradicts its manifest
	KindOperation      Kind = "OPERATION"       // a device operation failed (timeout, dropped connection)
	KindInternal       Kind = "INTERNAL"        // a bug in the plugin
)

// ErrorDomain is the ErrorInfo domain of netyard errors.
const ErrorDomain = "netyard.dev"

// Error is an error with a kind, returned by plugin code and recovered on the
// host side from the wire.
type Error struct {
	Kind      Kind
	Message   string
	Retryable bool              // a retry may succeed (unreachable, timeout)
	Details   map[string]string // extra context: capability, method, field ...
	Cause     error             // plugin side only; its text is in Message
}

func (e *Error) Error() string {
	if e.Cause != nil && e.Message == "" {
		return e.Cause.Error()
	}
	if e.Cause != nil {
		return e.Message + ": " + e.Cause.Error()
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// Errorf returns an Error of kind k.
func Errorf(k Kind, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Kind: k, Message: err.Error(), Cause: errors.Unwrap(err)}
}

// CreationError reports a failed connect; retryable says whether trying
// again may help (unreachable, timeout) or not (authentication).
func CreationError(retryable bool, cause error, format string, args ...any) *Error {
	return &Error{Kind: KindCreation, Message: fmt.Sprintf(format, args...), Retryable: retryable, Cause: cause}
}

// StateError reports a call on a session in the wrong state.
func StateError(format string, args ...any) *Error {
	return &Error{Kind: KindState, Message: fmt.Sprintf(format, args...)}
}

// OperationError reports a device operation that failed after connecting.
func OperationError(retryable bool, cause error, format string, args ...any) *Error {
	return &Error{Kind: KindOperation, Message: fmt.Sprintf(format, args...), Retryable: retryable, Cause: cause}
}

// NotImplementedError reports a capability or method the session does not serve.
func NotImplementedError(capability, method string) *Error {
	return &Error{Kind: KindNotImplemented, Message: fmt.Sprintf("capability %s method %s is not implemented", capability, method),
		Details: map[string]string{"capability": capability, "method": method}}
}

var kindCodes = map[Kind]codes.Code{
	KindValidation:     codes.InvalidArgument,
	KindCreation:       codes.Unavailable,
	KindState:          codes.FailedPrecondition,
	KindNotImplemented: codes.Unimplemented,
	KindRegistration:   codes.FailedPrecondition,
	KindOperation:      codes.Aborted,
	KindInternal:       codes.Internal,
}

// ToStatus turns err into a gRPC status carrying its kind in an ErrorInfo.
// Errors without a kind become KindInternal, or KindOperation for context
// errors (the host's deadline or cancel reached the plugin).
func ToStatus(err error) *status.Status {
	if err == nil {
		return nil
	}
	var e *Error
	if !errors.As(err, &e) {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			e = &Error{Kind: KindOperation, Message: err.Error(), Retryable: true}
		case errors.Is(err, context.Canceled):
			e = &Error{Kind: KindOperation, Message: err.Error()}
		default:
			e = &Error{Kind: KindInternal, Message: err.Error()}
		}
	}
	code, ok := kindCodes[e.Kind]
	if !ok {
		code = codes.Unknown
	}
	md := map[string]string{"retryable": strconv.FormatBool(e.Retryable)}
	for k, v := range e.Details {
		md[k] = v
	}
	st := status.New(code, err.Error())
	if withInfo, derr := st.WithDetails(&errdetails.ErrorInfo{Reason: string(e.Kind), Domain: ErrorDomain, Metadata: md}); derr == nil {
		return withInfo
	}
	return st
}

// FromStatus recovers an Error from a gRPC error produced by ToStatus. ok is
// false for a status without netyard error info (a transport failure).
func FromStatus(err error) (e *Error, ok bool) {
	st, isStatus := status.FromError(err)
	if !isStatus {
		return nil, false
	}
	for _, d := range st.Details() {
		info, isInfo := d.(*errdetails.ErrorInfo)
		if !isInfo || info.Domain != ErrorDomain {
			continue
		}
		e := &Error{Kind: Kind(info.Reason), Message: st.Message(), Details: map[string]string{}}
		for k, v := range info.Metadata {
			if k == "retryable" {
				e.Retryable = v == "true"
				continue
			}
			e.Details[k] = v
		}
		return e, true
	}
	return nil, false
}
