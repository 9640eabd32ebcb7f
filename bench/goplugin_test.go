package bench

// The baseline and floor of the cold-start figure: plain go-plugin, without
// netyard's host (no registry, trust check, pool or TLS set-up of its own),
// launching the same test plugin binary and doing the same work as
// BenchmarkColdStart's netyard variants: launch + handshake + Describe +
// open + first call + close, then kill.

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/netyard/netyard/internal/testenv"
	"github.com/netyard/netyard/sdk"
	pb "github.com/netyard/netyard/shared/proto/netyard/v1"
)

// plainColdStart is one go-plugin client/plugin pair per iteration, with
// go-plugin's AutoMTLS (autoMTLS) or no TLS at all.
func plainColdStart(b *testing.B, autoMTLS bool) {
	bin := filepath.Join(testenv.PluginDir(b, "testplugin"), "testplugin", "testplugin")
	ctx := context.Background()
	dev := sdk.DeviceToProto(benchDevice)
	for b.Loop() {
		c := plugin.NewClient(&plugin.ClientConfig{
			HandshakeConfig:  sdk.Handshake,
			VersionedPlugins: map[int]plugin.PluginSet{sdk.ProtocolVersion: {sdk.PluginSetName: &sdk.GRPCPlugin{}}},
			Cmd:              exec.Command(bin),
			AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
			AutoMTLS:         autoMTLS,
			Logger:           hclog.NewNullLogger(),
		})
		if err := plainOnce(ctx, c, dev); err != nil {
			c.Kill()
			b.Fatal(err)
		}
		c.Kill()
	}
}

func plainOnce(ctx context.Context, c *plugin.Client, dev *pb.Device) error {
	rpc, err := c.Client()
	if err != nil {
		return err
	}
	raw, err := rpc.Dispense(sdk.PluginSetName)
	if err != nil {
		return err
	}
	svc := raw.(pb.PluginServiceClient)
	if _, err := svc.Describe(ctx, &pb.DescribeRequest{}); err != nil {
		return err
	}
	open, err := svc.OpenSession(ctx, &pb.OpenSessionRequest{Device: dev, Type: benchReq.Type, Library: benchReq.Library})
	if err != nil {
		return err
	}
	if _, err := svc.SendCommands(ctx, &pb.SendCommandsRequest{SessionId: open.GetSessionId(), Commands: []string{"show version"}}); err != nil {
		return err
	}
	_, err = svc.CloseSession(ctx, &pb.CloseSessionRequest{SessionId: open.GetSessionId()})
	return err
}
