package sdk

// Conversion between the wire contract and the SDK's Go types, used by the
// plugin side here and by the host. Nothing else touches generated types.

import (
	"time"

	pb "github.com/netyard/netyard/shared/proto/netyard/v1"
)

// DeviceFromProto converts a wire device.
func DeviceFromProto(d *pb.Device) Device {
	if d == nil {
		return Device{}
	}
	return Device{ID: d.GetId(), Name: d.GetName(), Platform: d.GetPlatform(), Host: d.GetHost(), Port: int(d.GetPort()),
		Username: d.GetUsername(), Password: d.GetPassword(), PrivateKey: d.GetPrivateKey(), Passphrase: d.GetPassphrase(),
		EnableSecret: d.GetEnableSecret(), Options: d.GetOptions()}
}

// DeviceToProto converts a device for the wire.
func DeviceToProto(d Device) *pb.Device {
	return &pb.Device{Id: d.ID, Name: d.Name, Platform: d.Platform, Host: d.Host, Port: int32(d.Port),
		Username: d.Username, Password: d.Password, PrivateKey: d.PrivateKey, Passphrase: d.Passphrase,
		EnableSecret: d.EnableSecret, Options: d.Options}
}

// DescriptionFromProto converts a Describe response.
func DescriptionFromProto(r *pb.DescribeResponse) Description {
	d := Description{Name: r.GetName(), Version: r.GetVersion()}
	for _, p := range r.GetProvides() {
		d.Provides = append(d.Provides, Provide{Type: p.GetType(), Library: p.GetLibrary(), Platforms: p.GetPlatforms(), Capabilities: p.GetCapabilities()})
	}
	return d
}

// DescriptionToProto converts a description for Describe.
func DescriptionToProto(d Description) *pb.DescribeResponse {
	r := &pb.DescribeResponse{Name: d.Name, Version: d.Version, SdkVersion: Version}
	for _, p := range d.Provides {
		r.Provides = append(r.Provides, &pb.Provide{Type: p.Type, Library: p.Library, Platforms: p.Platforms, Capabilities: p.Capabilities})
	}
	return r
}

// ResponsesFromProto converts command responses.
func ResponsesFromProto(rs []*pb.CommandResponse) []Response {
	out := make([]Response, len(rs))
	for i, r := range rs {
		out[i] = Response{Command: r.GetCommand(), Result: r.GetResult(), Failed: r.GetFailed(), Elapsed: time.Duration(r.GetElapsedNs()), FailedWhen: r.GetFailedWhen()}
	}
	return out
}

// ResponsesToProto converts command responses for the wire.
func ResponsesToProto(rs []Response) []*pb.CommandResponse {
	out := make([]*pb.CommandResponse, len(rs))
	for i, r := range rs {
		out[i] = &pb.CommandResponse{Command: r.Command, Result: r.Result, Failed: r.Failed, ElapsedNs: int64(r.Elapsed), FailedWhen: r.FailedWhen}
	}
	return out
}

// ConfigResultFromProto converts a SendConfig response.
func ConfigResultFromProto(r *pb.SendConfigResponse) ConfigResult {
	return ConfigResult{Responses: ResponsesFromProto(r.GetResponses()), Failed: r.GetFailed(), Committed: r.GetCommitted(),
		Discarded: r.GetDiscarded(), CommitOutput: r.GetCommitOutput()}
}

// ConfigResultToProto converts a config result for the wire.
func ConfigResultToProto(r ConfigResult) *pb.SendConfigResponse {
	return &pb.SendConfigResponse{Responses: ResponsesToProto(r.Responses), Failed: r.Failed, Committed: r.Committed,
		Discarded: r.Discarded, CommitOutput: r.CommitOutput}
}

// DeviceInfoFromProto converts a GetVersion response.
func DeviceInfoFromProto(r *pb.GetVersionResponse) DeviceInfo {
	return DeviceInfo{Hostname: r.GetHostname(), Vendor: r.GetVendor(), Model: r.GetModel(), Serial: r.GetSerial(),
		SoftwareRelease: r.GetSoftwareRelease(), Platform: r.GetPlatform(), Raw: r.GetRaw()}
}

// DeviceInfoToProto converts device facts for the wire.
func DeviceInfoToProto(i DeviceInfo) *pb.GetVersionResponse {
	return &pb.GetVersionResponse{Hostname: i.Hostname, Vendor: i.Vendor, Model: i.Model, Serial: i.Serial,
		SoftwareRelease: i.SoftwareRelease, Platform: i.Platform, Raw: i.Raw}
}

// NetconfReplyFromProto converts a Netconf response.
func NetconfReplyFromProto(r *pb.NetconfResponse) NetconfReply {
	out := NetconfReply{Data: r.GetData(), OK: r.GetOk(), Elapsed: time.Duration(r.GetElapsedNs()), SessionID: r.GetSessionId(), Capabilities: r.GetCapabilities()}
	for _, e := range r.GetErrors() {
		out.Errors = append(out.Errors, NetconfError{Type: e.GetType(), Tag: e.GetTag(), Severity: e.GetSeverity(),
			AppTag: e.GetAppTag(), Path: e.GetPath(), Message: e.GetMessage(), Info: e.GetInfo()})
	}
	return out
}

// NetconfReplyToProto converts a NETCONF reply for the wire.
func NetconfReplyToProto(r NetconfReply) *pb.NetconfResponse {
	out := &pb.NetconfResponse{Data: r.Data, Ok: r.OK, ElapsedNs: int64(r.Elapsed), SessionId: r.SessionID, Capabilities: r.Capabilities}
	for _, e := range r.Errors {
		out.Errors = append(out.Errors, &pb.NetconfError{Type: e.Type, Tag: e.Tag, Severity: e.Severity, AppTag: e.AppTag,
			Path: e.Path, Message: e.Message, Info: e.Info})
	}
	return out
}

// HeadersFromProto converts headers or query parameters.
func HeadersFromProto(hs []*pb.Header) []Header {
	if len(hs) == 0 {
		return nil
	}
	out := make([]Header, len(hs))
	for i, h := range hs {
		out[i] = Header{Name: h.GetName(), Value: h.GetValue()}
	}
	return out
}

// HeadersToProto converts headers for the wire.
func HeadersToProto(hs []Header) []*pb.Header {
	if len(hs) == 0 {
		return nil
	}
	out := make([]*pb.Header, len(hs))
	for i, h := range hs {
		out[i] = &pb.Header{Name: h.Name, Value: h.Value}
	}
	return out
}

// APIRequestFromProto converts an API request.
func APIRequestFromProto(r *pb.APIRequestRequest) APIRequest {
	return APIRequest{Method: r.GetMethod(), Path: r.GetPath(), Query: HeadersFromProto(r.GetQuery()),
		Headers: HeadersFromProto(r.GetHeaders()), Body: r.GetBody(), RetryUnsafe: r.GetRetryUnsafe()}
}

// APIRequestToProto converts an API request for the wire.
func APIRequestToProto(session string, r APIRequest) *pb.APIRequestRequest {
	return &pb.APIRequestRequest{SessionId: session, Method: r.Method, Path: r.Path, Query: HeadersToProto(r.Query),
		Headers: HeadersToProto(r.Headers), Body: r.Body, RetryUnsafe: r.RetryUnsafe}
}

// APIResponseFromProto converts an API response.
func APIResponseFromProto(r *pb.APIRequestResponse) APIResponse {
	return APIResponse{Status: int(r.GetStatus()), Headers: HeadersFromProto(r.GetHeaders()), Body: r.GetBody(),
		Elapsed: time.Duration(r.GetElapsedNs()), Attempts: int(r.GetAttempts())}
}

// APIResponseToProto converts an API response for the wire.
func APIResponseToProto(r APIResponse) *pb.APIRequestResponse {
	return &pb.APIRequestResponse{Status: int32(r.Status), Headers: HeadersToProto(r.Headers), Body: r.Body,
		ElapsedNs: int64(r.Elapsed), Attempts: int32(r.Attempts)}
}

// RestconfRequestFromProto converts a RESTCONF request.
func RestconfRequestFromProto(r *pb.RestconfRequest) RestconfRequest {
	return RestconfRequest{Method: r.GetMethod(), Path: r.GetPath(), Body: r.GetBody(), Encoding: r.GetEncoding(), Query: HeadersFromProto(r.GetQuery())}
}

// RestconfRequestToProto converts a RESTCONF request for the wire.
func RestconfRequestToProto(session string, r RestconfRequest) *pb.RestconfRequest {
	return &pb.RestconfRequest{SessionId: session, Method: r.Method, Path: r.Path, Body: r.Body, Encoding: r.Encoding, Query: HeadersToProto(r.Query)}
}

// RestconfResponseFromProto converts a RESTCONF response.
func RestconfResponseFromProto(r *pb.RestconfResponse) RestconfResponse {
	out := RestconfResponse{Status: int(r.GetStatus()), Body: r.GetBody(), Headers: HeadersFromProto(r.GetHeaders()), Elapsed: time.Duration(r.GetElapsedNs())}
	for _, e := range r.GetErrors() {
		out.Errors = append(out.Errors, RestconfError{Type: e.GetType(), Tag: e.GetTag(), AppTag: e.GetAppTag(), Path: e.GetPath(), Message: e.GetMessage(), Info: e.GetInfo()})
	}
	return out
}

// RestconfResponseToProto converts a RESTCONF response for the wire.
func RestconfResponseToProto(r RestconfResponse) *pb.RestconfResponse {
	out := &pb.RestconfResponse{Status: int32(r.Status), Body: r.Body, Headers: HeadersToProto(r.Headers), ElapsedNs: int64(r.Elapsed)}
	for _, e := range r.Errors {
		out.Errors = append(out.Errors, &pb.RestconfError{Type: e.Type, Tag: e.Tag, AppTag: e.AppTag, Path: e.Path, Message: e.Message, Info: e.Info})
	}
	return out
}
