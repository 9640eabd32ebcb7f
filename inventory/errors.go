package inventory

import (
	"errors"
	"fmt"
	"strings"
)

// Error is a problem with an inventory: a file that cannot be read or parsed,
// a field with the wrong type, a group that does not exist, a credential
// variable that is not set. It names everything it knows, e.g.
//
//	hosts.yaml:12: host ios1: port: expected an integer from 1 to 65535, got "ssh"
//	host ios1: password_env: environment variable NETOPS_PW is not set
type Error struct {
	File  string // the file at fault, "" when the problem is not in one file
	Line  int    // 1-based line of the entry, 0 when unknown
	Host  string // the host concerned, if any
	Group string // the group concerned, if any (also "defaults")
	Field string // the field, dotted: "connection_options.scrapli.port"
	Var   string // the environment variable, for a missing credential
	Err   error  // what is wrong
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	switch {
	case e.Host != "":
		fmt.Fprintf(&b, "host %s: ", e.Host)
	case e.Group == "defaults":
		b.WriteString("defaults: ")
	case e.Group != "":
		fmt.Fprintf(&b, "group %s: ", e.Group)
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Sentinel causes, for errors.Is.
var (
	// ErrUnknownHost: a host name that is not in the inventory.
	ErrUnknownHost = errors.New("no such host in the inventory")
	// ErrMissingEnv: a credential names an environment variable that is
	// not set (or is empty).
	ErrMissingEnv = errors.New("environment variable is not set")
	// ErrNoMatch: a selection matched no host.
	ErrNoMatch = errors.New("no host matches")
)

// Errors is several problems found at once, so that an inventory is fixed
// in one go rather than one error per run.
type Errors []error

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Unwrap gives errors.Is and errors.As every problem.
func (es Errors) Unwrap() []error { return es }

// join returns nil, the single error, or Errors.
func join(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return Errors(errs)
}
