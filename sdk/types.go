package sdk

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// ProtocolVersion is the wire protocol version this SDK speaks (go-plugin's
// VersionedPlugins key); manifests list it under protocol.
const ProtocolVersion = 1

// Version is the SDK's own version, reported in Describe.
const Version = "0.1.0"

// Capability names, as used in manifests, Resolve and NotImplemented errors.
const (
	CapCLI        = "cli"
	CapCLIConfig  = "cli.config"
	CapDeviceInfo = "device_info"
	CapNETCONF    = "netconf"
	CapAPI        = "api"
	CapRESTCONF   = "restconf"
)

// StandardCapabilities lists the capabilities with typed methods on the wire.
// Anything else is reached through Invoke.
var StandardCapabilities = []string{CapCLI, CapCLIConfig, CapDeviceInfo, CapNETCONF, CapAPI, CapRESTCONF}

// Device is what a plugin needs to reach one device.
//
// Its String and LogValue methods never print secrets.
type Device struct {
	ID           string            // stable identifier used in errors and logs
	Name         string            // inventory name
	Platform     string            // e.g. cisco_iosxe
	Host         string            // host name or IP address
	Port         int               // 0 means the plugin's default for its protocol
	Username     string            //
	Password     string            // secret
	PrivateKey   []byte            // PEM, secret
	Passphrase   string            // of PrivateKey, secret
	EnableSecret string            // secret
	Options      map[string]string // plugin-specific options (timeouts, transport, known_hosts ...)
}

// String identifies the device without secrets.
func (d Device) String() string {
	id := d.ID
	if id == "" {
		id = d.Name
	}
	return fmt.Sprintf("%s (%s %s:%d)", id, d.Platform, d.Host, d.Port)
}

// LogValue keeps secrets out of slog records.
func (d Device) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", d.ID), slog.String("platform", d.Platform),
		slog.String("host", d.Host), slog.Int("port", d.Port),
		slog.String("username", d.Username))
}

// Secrets returns the device's non-empty secrets, for redaction.
func (d Device) Secrets() []string {
	var s []string
	for _, v := range []string{d.Password, d.Passphrase, d.EnableSecret, string(d.PrivateKey)} {
		if v != "" {
			s = append(s, v)
		}
	}
	return s
}

// Description is what a plugin binary serves; it must agree with its manifest.
type Description struct {
	Name     string
	Version  string
	Provides []Provide
}

// Provide is one (type, library) entry served by a binary.
type Provide struct {
	Type         string   // ssh, netconf, api, restconf ...
	Library      string   // scrapli, httpx ...
	Platforms    []string // "*" means any platform
	Capabilities []string
}

// Response says what one command returned and how long it took.
type Response struct {
	Command    string
	Result     string
	Failed     bool
	Elapsed    time.Duration
	FailedWhen string // the failed-when-contains string that matched, if any
}

// CommandsRequest is a cli call: one or more commands.
type CommandsRequest struct {
	Commands           []string
	FailedWhenContains []string // on top of the platform's own
	StopOnFailed       bool
}

// ConfigRequest is a cli.config call.
type ConfigRequest struct {
	Lines              []string
	FailedWhenContains []string
	StopOnFailed       bool
	DryRun             bool // platforms that commit: check, then discard
}

// ConfigResult is the outcome of a cli.config call.
type ConfigResult struct {
	Responses    []Response
	Failed       bool
	Committed    bool
	Discarded    bool
	CommitOutput string
}

// DeviceInfo are the facts of device_info.
type DeviceInfo struct {
	Hostname        string
	Vendor          string
	Model           string
	Serial          string
	SoftwareRelease string
	Platform        string
	Raw             string
}

// Header is one HTTP header (or query parameter) entry.
type Header struct{ Name, Value string }

// APIRequest is one HTTP request of the api capability.
type APIRequest struct {
	Method      string
	Path        string
	Query       []Header
	Headers     []Header
	Body        []byte
	RetryUnsafe bool // allow retries of non-idempotent methods
}

// APIResponse is an HTTP response; an error status is a response, not an error.
type APIResponse struct {
	Status   int
	Headers  []Header
	Body     []byte
	Elapsed  time.Duration
	Attempts int
}

// Header returns the first value of the named header (case-insensitive).
func (r APIResponse) Header(name string) string { return headerValue(r.Headers, name) }

// RestconfRequest is one RFC 8040 data-resource operation.
type RestconfRequest struct {
	Method   string // GET, PUT, PATCH, POST, DELETE
	Path     string // below /restconf/data, e.g. ietf-interfaces:interfaces/interface=eth0
	Body     []byte
	Encoding string // json (default) or xml
	Query    []Header
}

// RestconfError is one entry of an RFC 8040 errors body.
type RestconfError struct{ Type, Tag, AppTag, Path, Message, Info string }

// RestconfResponse is the outcome of a RESTCONF operation.
type RestconfResponse struct {
	Status  int
	Body    []byte
	Headers []Header
	Errors  []RestconfError
	Elapsed time.Duration
}

func headerValue(hs []Header, name string) string {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// NetconfFilter selects part of a datastore: Type is "subtree" or "xpath".
type NetconfFilter struct{ Type, Content string }

// EditConfig is an edit-config operation (RFC 6241 section 7.2).
type EditConfig struct {
	Target           string // running or candidate
	Config           string // the <config> element (or its content)
	DefaultOperation string // merge, replace, none
	TestOption       string // test-then-set, set, test-only
	ErrorOption      string // stop-on-error, continue-on-error, rollback-on-error
}

// CommitOptions control commit, including confirmed commit (RFC 6241 section 8.4).
type CommitOptions struct {
	Confirmed      bool
	ConfirmTimeout time.Duration
	Persist        string
	PersistID      string
}

// NetconfError is one rpc-error (RFC 6241 section 4.3).
type NetconfError struct{ Type, Tag, Severity, AppTag, Path, Message, Info string }

// Error formats the rpc-error for humans.
func (e NetconfError) Error() string {
	s := fmt.Sprintf("rpc-error %s/%s", e.Type, e.Tag)
	if e.Path != "" {
		s += " at " + e.Path
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// NetconfReply is the outcome of one NETCONF operation. rpc-errors are
// replies, not Go errors: OK is false and Errors says why.
type NetconfReply struct {
	Data      string // <data> content for get/get-config; the whole rpc-reply for RPC
	OK        bool
	Errors    []NetconfError
	Elapsed   time.Duration
	SessionID uint32
	// Capabilities of the server, for ServerCapabilities only.
	Capabilities []string
}

// JSON decodes the response body into v.
func (r APIResponse) JSON(v any) error { return json.Unmarshal(r.Body, v) }

// JSON decodes the response body into v.
func (r RestconfResponse) JSON(v any) error { return json.Unmarshal(r.Body, v) }

// RestconfErrors is a RESTCONF error status with its RFC 8040 error entries.
type RestconfErrors struct {
	Status int
	Errors []RestconfError
}

func (e *RestconfErrors) Error() string {
	s := fmt.Sprintf("restconf status %d", e.Status)
	for _, x := range e.Errors {
		s += fmt.Sprintf("; %s/%s", x.Type, x.Tag)
		if x.Path != "" {
			s += " at " + x.Path
		}
		if x.Message != "" {
			s += ": " + x.Message
		}
	}
	return s
}

// Err returns a *RestconfErrors for an error status (400 and up), else nil.
func (r RestconfResponse) Err() error {
	if r.Status < 400 {
		return nil
	}
	return &RestconfErrors{Status: r.Status, Errors: r.Errors}
}

// NetconfRPCErrors is a NETCONF reply that carried rpc-errors.
type NetconfRPCErrors []NetconfError

func (e NetconfRPCErrors) Error() string {
	parts := make([]string, len(e))
	for i, x := range e {
		parts[i] = x.Error()
	}
	return strings.Join(parts, "; ")
}

// Err returns the reply's rpc-errors as a NetconfRPCErrors, or nil when OK.
func (r NetconfReply) Err() error {
	if r.OK {
		return nil
	}
	if len(r.Errors) == 0 {
		return NetconfRPCErrors{{Type: "application", Tag: "operation-failed", Severity: "error", Message: "reply not ok"}}
	}
	return NetconfRPCErrors(r.Errors)
}
