package host

import (
	"context"
	"net/http"
	"time"

	"github.com/netyard/netyard/sdk"
	pb "github.com/netyard/netyard/shared/proto/netyard/v1"
)

// CLI is the "cli" capability of a Conn.
type CLI struct{ c *Conn }

// CLI returns the connection's cli client. Calls fail with NotImplemented,
// without a round trip, when the plugin entry lacks the capability.
func (c *Conn) CLI() CLI { return CLI{c} }

// SendCommand runs one command.
func (x CLI) SendCommand(ctx context.Context, command string, failedWhenContains ...string) (sdk.Response, error) {
	rs, err := x.SendCommands(ctx, sdk.CommandsRequest{Commands: []string{command}, FailedWhenContains: failedWhenContains})
	if err != nil || len(rs) == 0 {
		return sdk.Response{Command: command}, err
	}
	return rs[0], nil
}

// SendCommands runs several commands in order, one response each.
func (x CLI) SendCommands(ctx context.Context, req sdk.CommandsRequest) ([]sdk.Response, error) {
	var out []sdk.Response
	err := x.c.capCall(ctx, "CLI", "SendCommands", sdk.CapCLI, func(ctx context.Context) error {
		r, err := x.c.proc.rpc.SendCommands(ctx, &pb.SendCommandsRequest{SessionId: x.c.sid, Commands: req.Commands,
			FailedWhenContains: req.FailedWhenContains, StopOnFailed: req.StopOnFailed})
		out = sdk.ResponsesFromProto(r.GetResponses())
		return err
	})
	return out, err
}

// CLIConfig is the "cli.config" capability of a Conn.
type CLIConfig struct{ c *Conn }

// CLIConfig returns the connection's cli.config client.
func (c *Conn) CLIConfig() CLIConfig { return CLIConfig{c} }

// SendConfig sends configuration lines (committing on platforms that commit).
func (x CLIConfig) SendConfig(ctx context.Context, req sdk.ConfigRequest) (sdk.ConfigResult, error) {
	var out sdk.ConfigResult
	err := x.c.capCall(ctx, "CLIConfig", "SendConfig", sdk.CapCLIConfig, func(ctx context.Context) error {
		r, err := x.c.proc.rpc.SendConfig(ctx, &pb.SendConfigRequest{SessionId: x.c.sid, Lines: req.Lines,
			FailedWhenContains: req.FailedWhenContains, StopOnFailed: req.StopOnFailed, DryRun: req.DryRun})
		out = sdk.ConfigResultFromProto(r)
		return err
	})
	return out, err
}

// DeviceInfo is the "device_info" capability of a Conn.
type DeviceInfo struct{ c *Conn }

// DeviceInfo returns the connection's device_info client.
func (c *Conn) DeviceInfo() DeviceInfo { return DeviceInfo{c} }

// GetVersion returns the device's facts.
func (x DeviceInfo) GetVersion(ctx context.Context) (sdk.DeviceInfo, error) {
	var out sdk.DeviceInfo
	err := x.c.capCall(ctx, "DeviceInfo", "GetVersion", sdk.CapDeviceInfo, func(ctx context.Context) error {
		r, err := x.c.proc.rpc.GetVersion(ctx, &pb.GetVersionRequest{SessionId: x.c.sid})
		out = sdk.DeviceInfoFromProto(r)
		return err
	})
	return out, err
}

// NETCONF is the "netconf" capability of a Conn; it implements sdk.NETCONF.
// rpc-errors are in the reply (OK false, Errors), not Go errors.
type NETCONF struct{ c *Conn }

// NETCONF returns the connection's netconf client.
func (c *Conn) NETCONF() NETCONF { return NETCONF{c} }

var _ sdk.NETCONF = NETCONF{}

func (x NETCONF) op(ctx context.Context, method string, req *pb.NetconfRequest) (sdk.NetconfReply, error) {
	var out sdk.NetconfReply
	req.SessionId = x.c.sid
	err := x.c.capCall(ctx, "NETCONF", method, sdk.CapNETCONF, func(ctx context.Context) error {
		r, err := x.c.proc.rpc.Netconf(ctx, req)
		out = sdk.NetconfReplyFromProto(r)
		return err
	})
	return out, err
}

// ServerCapabilities returns the capabilities of the server's hello.
func (x NETCONF) ServerCapabilities(ctx context.Context) ([]string, error) {
	r, err := x.op(ctx, "ServerCapabilities", &pb.NetconfRequest{Operation: pb.NetconfOperation_NETCONF_OPERATION_SERVER_CAPABILITIES})
	return r.Capabilities, err
}

// Get runs <get> with an optional filter.
func (x NETCONF) Get(ctx context.Context, f sdk.NetconfFilter) (sdk.NetconfReply, error) {
	return x.op(ctx, "Get", &pb.NetconfRequest{Operation: pb.NetconfOperation_NETCONF_OPERATION_GET, FilterType: f.Type, Filter: f.Content})
}

// GetConfig runs <get-config> on source (running, candidate, startup).
func (x NETCONF) GetConfig(ctx context.Context, source string, f sdk.NetconfFilter) (sdk.NetconfReply, error) {
	return x.op(ctx, "GetConfig", &pb.NetconfRequest{Operation: pb.NetconfOperation_NETCONF_OPERATION_GET_CONFIG, Datastore: source, FilterType: f.Type, Filter: f.Content})
}

// EditConfig runs <edit-config>.
func (x NETCONF) EditConfig(ctx context.Context, e sdk.EditConfig) (sdk.NetconfReply, error) {
	return x.op(ctx, "EditConfig", &pb.NetconfRequest{Operation: pb.NetconfOperation_NETCONF_OPERATION_EDIT_CONFIG, Datastore: e.Target,
		Config: e.Config, DefaultOperation: e.DefaultOperation, TestOption: e.TestOption, ErrorOption: e.ErrorOption})
}

// Lock locks a datastore.
func (x NETCONF) Lock(ctx context.Context, target string) (sdk.NetconfReply, error) {
	return x.op(ctx, "Lock", &pb.NetconfRequest{Operation: pb.NetconfOperation_NETCONF_OPERATION_LOCK, Datastore: target})
}

// Unlock unlocks a datastore.
func (x NETCONF) Unlock(ctx context.Context, target string) (sdk.NetconfReply, error) {
	return x.op(ctx, "Unlock", &pb.NetconfRequest{Operation: pb.NetconfOperation_NETCONF_OPERATION_UNLOCK, Datastore: target})
}

// Commit commits the candidate, optionally as a confirmed commit.
func (x NETCONF) Commit(ctx context.Context, o sdk.CommitOptions) (sdk.NetconfReply, error) {
	return x.op(ctx, "Commit", &pb.NetconfRequest{Operation: pb.NetconfOperation_NETCONF_OPERATION_COMMIT, Confirmed: o.Confirmed,
		ConfirmTimeoutS: uint32(o.ConfirmTimeout / time.Second), Persist: o.Persist, PersistId: o.PersistID})
}

// CancelCommit cancels a confirmed commit.
func (x NETCONF) CancelCommit(ctx context.Context, persistID string) (sdk.NetconfReply, error) {
	return x.op(ctx, "CancelCommit", &pb.NetconfRequest{Operation: pb.NetconfOperation_NETCONF_OPERATION_CANCEL_COMMIT, PersistId: persistID})
}

// DiscardChanges reverts the candidate to running.
func (x NETCONF) DiscardChanges(ctx context.Context) (sdk.NetconfReply, error) {
	return x.op(ctx, "DiscardChanges", &pb.NetconfRequest{Operation: pb.NetconfOperation_NETCONF_OPERATION_DISCARD_CHANGES})
}

// Validate validates a datastore.
func (x NETCONF) Validate(ctx context.Context, source string) (sdk.NetconfReply, error) {
	return x.op(ctx, "Validate", &pb.NetconfRequest{Operation: pb.NetconfOperation_NETCONF_OPERATION_VALIDATE, Datastore: source})
}

// CopyConfig copies source to target.
func (x NETCONF) CopyConfig(ctx context.Context, target, source string) (sdk.NetconfReply, error) {
	return x.op(ctx, "CopyConfig", &pb.NetconfRequest{Operation: pb.NetconfOperation_NETCONF_OPERATION_COPY_CONFIG, Datastore: target, Source: source})
}

// DeleteConfig deletes a datastore.
func (x NETCONF) DeleteConfig(ctx context.Context, target string) (sdk.NetconfReply, error) {
	return x.op(ctx, "DeleteConfig", &pb.NetconfRequest{Operation: pb.NetconfOperation_NETCONF_OPERATION_DELETE_CONFIG, Datastore: target})
}

// RPC sends a raw RPC body and returns the whole rpc-reply.
func (x NETCONF) RPC(ctx context.Context, body string) (sdk.NetconfReply, error) {
	return x.op(ctx, "RPC", &pb.NetconfRequest{Operation: pb.NetconfOperation_NETCONF_OPERATION_RAW_RPC, Rpc: body})
}

// API is the "api" capability of a Conn.
type API struct{ c *Conn }

// API returns the connection's api client.
func (c *Conn) API() API { return API{c} }

// Do sends one HTTP request; an HTTP error status is a response, not an error.
func (x API) Do(ctx context.Context, req sdk.APIRequest) (sdk.APIResponse, error) {
	var out sdk.APIResponse
	err := x.c.capCall(ctx, "API", "Do", sdk.CapAPI, func(ctx context.Context) error {
		r, err := x.c.proc.rpc.APIRequest(ctx, sdk.APIRequestToProto(x.c.sid, req))
		out = sdk.APIResponseFromProto(r)
		return err
	})
	return out, err
}

// RESTCONF is the "restconf" capability of a Conn.
type RESTCONF struct{ c *Conn }

// RESTCONF returns the connection's restconf client.
func (c *Conn) RESTCONF() RESTCONF { return RESTCONF{c} }

// Do runs one RFC 8040 data-resource operation.
func (x RESTCONF) Do(ctx context.Context, req sdk.RestconfRequest) (sdk.RestconfResponse, error) {
	var out sdk.RestconfResponse
	err := x.c.capCall(ctx, "RESTCONF", req.Method, sdk.CapRESTCONF, func(ctx context.Context) error {
		r, err := x.c.proc.rpc.Restconf(ctx, sdk.RestconfRequestToProto(x.c.sid, req))
		out = sdk.RestconfResponseFromProto(r)
		return err
	})
	return out, err
}

// Get reads a data resource.
func (x RESTCONF) Get(ctx context.Context, path string) (sdk.RestconfResponse, error) {
	return x.Do(ctx, sdk.RestconfRequest{Method: http.MethodGet, Path: path})
}

// Put replaces a data resource.
func (x RESTCONF) Put(ctx context.Context, path string, body []byte) (sdk.RestconfResponse, error) {
	return x.Do(ctx, sdk.RestconfRequest{Method: http.MethodPut, Path: path, Body: body})
}

// Patch merges into a data resource.
func (x RESTCONF) Patch(ctx context.Context, path string, body []byte) (sdk.RestconfResponse, error) {
	return x.Do(ctx, sdk.RestconfRequest{Method: http.MethodPatch, Path: path, Body: body})
}

// Post creates a child of a data resource.
func (x RESTCONF) Post(ctx context.Context, path string, body []byte) (sdk.RestconfResponse, error) {
	return x.Do(ctx, sdk.RestconfRequest{Method: http.MethodPost, Path: path, Body: body})
}

// Delete deletes a data resource.
func (x RESTCONF) Delete(ctx context.Context, path string) (sdk.RestconfResponse, error) {
	return x.Do(ctx, sdk.RestconfRequest{Method: http.MethodDelete, Path: path})
}
