package sdk

import (
	"context"
	"encoding/json"
)

// Session is one device session inside a plugin process. Every method gets a
// context that is cancelled when the host's call is cancelled or times out.
type Session interface {
	// Connect connects to the device. It is called once, right after Open
	// unless the host asked for a deferred open.
	Connect(ctx context.Context) error
	// Close disconnects; it must be safe to call on an unconnected session.
	Close(ctx context.Context) error
}

// OpenRequest is what Plugin.Open gets for a new session.
type OpenRequest struct {
	Device  Device
	Type    string // the entry the host resolved
	Library string
	Logger  Logger // tagged with the device id; secrets are redacted
}

// Aliver is implemented by sessions that can tell whether the device
// connection is still up; without it Alive reports whether Connect succeeded
// and Close has not been called.
type Aliver interface {
	Alive(ctx context.Context) bool
}

// CLI is the "cli" capability: send commands, get responses.
type CLI interface {
	SendCommands(ctx context.Context, req CommandsRequest) ([]Response, error)
}

// CLIConfig is the "cli.config" capability: configuration lines in
// configuration mode, committed (or discarded) on platforms that commit.
type CLIConfig interface {
	SendConfig(ctx context.Context, req ConfigRequest) (ConfigResult, error)
}

// DeviceInfoGetter is the "device_info" capability.
type DeviceInfoGetter interface {
	GetVersion(ctx context.Context) (DeviceInfo, error)
}

// NETCONF is the "netconf" capability (RFC 6241). rpc-errors come back in
// the reply; a Go error means the operation could not be carried out.
type NETCONF interface {
	ServerCapabilities(ctx context.Context) ([]string, error)
	Get(ctx context.Context, filter NetconfFilter) (NetconfReply, error)
	GetConfig(ctx context.Context, source string, filter NetconfFilter) (NetconfReply, error)
	EditConfig(ctx context.Context, edit EditConfig) (NetconfReply, error)
	Lock(ctx context.Context, target string) (NetconfReply, error)
	Unlock(ctx context.Context, target string) (NetconfReply, error)
	Commit(ctx context.Context, opts CommitOptions) (NetconfReply, error)
	CancelCommit(ctx context.Context, persistID string) (NetconfReply, error)
	DiscardChanges(ctx context.Context) (NetconfReply, error)
	Validate(ctx context.Context, source string) (NetconfReply, error)
	CopyConfig(ctx context.Context, target, source string) (NetconfReply, error)
	DeleteConfig(ctx context.Context, target string) (NetconfReply, error)
	// RPC sends a raw <rpc> body (the element inside <rpc>) and returns the whole rpc-reply in Data.
	RPC(ctx context.Context, body string) (NetconfReply, error)
}

// API is the "api" capability: HTTP requests against the device's API.
type API interface {
	Do(ctx context.Context, req APIRequest) (APIResponse, error)
}

// RESTCONF is the "restconf" capability (RFC 8040 data resources).
type RESTCONF interface {
	Restconf(ctx context.Context, req RestconfRequest) (RestconfResponse, error)
}

// Invoker serves capabilities outside the contract: JSON in, JSON out. It is
// called for every capability name the standard interfaces do not cover.
type Invoker interface {
	Invoke(ctx context.Context, capability, method string, in json.RawMessage) (json.RawMessage, error)
}

// SessionCapabilities reports which standard capabilities s implements.
// Invoker-served capabilities are taken from the description.
func SessionCapabilities(s Session) []string {
	var caps []string
	if _, ok := s.(CLI); ok {
		caps = append(caps, CapCLI)
	}
	if _, ok := s.(CLIConfig); ok {
		caps = append(caps, CapCLIConfig)
	}
	if _, ok := s.(DeviceInfoGetter); ok {
		caps = append(caps, CapDeviceInfo)
	}
	if _, ok := s.(NETCONF); ok {
		caps = append(caps, CapNETCONF)
	}
	if _, ok := s.(API); ok {
		caps = append(caps, CapAPI)
	}
	if _, ok := s.(RESTCONF); ok {
		caps = append(caps, CapRESTCONF)
	}
	return caps
}
