package datastore

import (
	"errors"
	"strings"
)

// Error tags of RFC 6241 Appendix A used by the store.
const (
	TagInUse                 = "in-use"
	TagInvalidValue          = "invalid-value"
	TagTooBig                = "too-big"
	TagMissingAttribute      = "missing-attribute"
	TagBadAttribute          = "bad-attribute"
	TagUnknownAttribute      = "unknown-attribute"
	TagMissingElement        = "missing-element"
	TagBadElement            = "bad-element"
	TagUnknownElement        = "unknown-element"
	TagUnknownNamespace      = "unknown-namespace"
	TagAccessDenied          = "access-denied"
	TagLockDenied            = "lock-denied"
	TagResourceDenied        = "resource-denied"
	TagRollbackFailed        = "rollback-failed"
	TagDataExists            = "data-exists"
	TagDataMissing           = "data-missing"
	TagOperationNotSupported = "operation-not-supported"
	TagOperationFailed       = "operation-failed"
	TagMalformedMessage      = "malformed-message"
)

// Info is one element of an rpc-error's error-info, such as session-id or
// bad-element.
type Info struct{ Name, Value string }

// Error is a NETCONF rpc-error (RFC 6241 section 4.3); RESTCONF renders the
// same fields as an RFC 8040 error.
type Error struct {
	// Type is transport, rpc, protocol or application.
	Type string
	// Tag is one of the Tag constants.
	Tag string
	// Severity is "error" when empty.
	Severity string
	// AppTag is the optional error-app-tag.
	AppTag string
	// Path is the optional error-path, an XPath-like location.
	Path string
	// Message is the human-readable error-message.
	Message string
	// Info carries error-info children in order.
	Info []Info
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Tag)
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Path != "" {
		b.WriteString(" (at ")
		b.WriteString(e.Path)
		b.WriteString(")")
	}
	return b.String()
}

// Errors is several rpc-errors reported together (continue-on-error).
type Errors []*Error

// Error implements error.
func (es Errors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "; ")
}

// AsErrors returns the rpc-errors in err: the *Error or Errors it wraps, or
// an operation-failed error carrying err's text.
func AsErrors(err error) []*Error {
	if err == nil {
		return nil
	}
	var es Errors
	if errors.As(err, &es) {
		return es
	}
	var e *Error
	if errors.As(err, &e) {
		return []*Error{e}
	}
	return []*Error{{Type: "application", Tag: TagOperationFailed, Message: err.Error()}}
}

func errorsOrNil(es []*Error) error {
	switch len(es) {
	case 0:
		return nil
	case 1:
		return es[0]
	default:
		return Errors(es)
	}
}

func protocolErr(tag, msg string, info ...Info) *Error {
	return &Error{Type: "protocol", Tag: tag, Message: msg, Info: info}
}
