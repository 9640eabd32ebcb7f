// Package sdk is what a netyard connection plugin imports.
//
// A plugin is a separate binary that serves connections to network devices for
// the netyard host. Its main function describes what it serves and hands
// Serve a factory that opens one Session per device:
//
//	func main() {
//		sdk.Serve(sdk.Plugin{
//			Description: sdk.Description{Name: "my-ssh", Version: "0.1.0", Provides: ...},
//			Open: func(ctx context.Context, req sdk.OpenRequest) (sdk.Session, error) {
//				return &session{dev: req.Device}, nil
//			},
//		})
//	}
//
// A Session implements Connect and Close, and any of the small capability
// interfaces (CLI, CLIConfig, DeviceInfo, NETCONF, API, RESTCONF, Invoker).
// Serve detects them by type assertion; the host refuses a binary whose
// sessions lack a capability its manifest declares.
//
// The SDK owns everything else: the go-plugin handshake over gRPC with mutual
// TLS, many concurrent sessions per process, error kinds that reach the host
// as the same typed errors, JSON logs on stderr with device secrets redacted,
// exiting when the host dies and killing the plugin's own child processes on
// the way out.
package sdk
