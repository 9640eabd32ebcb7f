package sdk

import (
	"context"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "github.com/netyard/netyard/shared/proto/netyard/v1"
)

// Logger is the structured logger a plugin writes through; its JSON lines on
// stderr reach the host's log tagged with the plugin's name and pid.
type Logger = hclog.Logger

// Handshake is the go-plugin handshake shared by host and plugins. Its magic
// cookie only tells a user who runs a plugin binary by hand what it is; it is
// not a security measure.
var Handshake = plugin.HandshakeConfig{
	MagicCookieKey:   "NETYARD_PLUGIN",
	MagicCookieValue: "d3c1a0f4-netyard-connection-plugin",
}

// PluginSetName is the name of the one plugin every binary dispenses.
const PluginSetName = "connections"

// MaxMessageSize bounds one gRPC message in both directions: a 64 MiB
// command output must cross with room to spare.
const MaxMessageSize = 512 << 20

// Environment variables the host sets for a plugin.
const (
	// EnvTLSFD names the inherited file descriptor that carries the TLS
	// material (CA, server certificate and key, PEM) for this launch.
	EnvTLSFD = "NETYARD_TLS_FD"
	// EnvHostPID is the host's process id; the plugin exits when it is gone.
	EnvHostPID = "NETYARD_HOST_PID"
	// EnvLogLevel is the log level the host asks for (trace, debug, info, warn, error).
	EnvLogLevel = "NETYARD_LOG_LEVEL"
)

// GRPCPlugin adapts the wire contract to go-plugin on both sides: the plugin
// side registers Server, the host side gets a PluginServiceClient.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl pb.PluginServiceServer
}

// GRPCServer registers the service (plugin side).
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterPluginServiceServer(s, p.Impl)
	return nil
}

// GRPCClient returns the service client (host side).
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return pb.NewPluginServiceClient(c), nil
}
