// Package bench measures netyard against its baselines in one run, so that
// the figures are ratios on the same noisy machine. Run with `make bench`.
package bench

import (
	"context"
	"testing"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/internal/testenv"
	"github.com/netyard/netyard/sdk"
)

var benchDevice = host.Device{ID: "bench", Platform: "linux", Host: "127.0.0.1", Username: "u", Password: "p"}

var benchReq = host.Request{Type: "test", Library: "fake"}

func newHost(b *testing.B, tlsMode string, policy sdk.SessionPolicy) *host.Host {
	b.Helper()
	h, err := host.New(host.Config{
		PluginDirs: []string{testenv.PluginDir(b, "testplugin")},
		TLS:        tlsMode,
		Plugins:    map[string]host.PluginConfig{"testplugin": {Sessions: policy}},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { h.Close() })
	return h
}

// BenchmarkColdStart is launch + handshake + Describe + open + first call +
// close with the process killed: ours (fast: per-host P-256 CA) versus
// go-plugin's AutoMTLS versus no TLS, all through the host; then the same
// work with plain go-plugin and no netyard host (goplugin_test.go), with
// AutoMTLS (the baseline) and without TLS (the floor).
func BenchmarkColdStart(b *testing.B) {
	for _, mode := range []string{"fast", "auto", "off"} {
		b.Run("tls="+mode, func(b *testing.B) {
			h := newHost(b, mode, sdk.SessionPolicy{OnClose: "kill"})
			ctx := context.Background()
			for b.Loop() {
				c, err := h.Open(ctx, benchDevice, benchReq)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := c.CLI().SendCommand(ctx, "show version"); err != nil {
					b.Fatal(err)
				}
				c.Close()
			}
		})
	}
	b.Run("goplugin=auto", func(b *testing.B) { plainColdStart(b, true) })
	b.Run("goplugin=off", func(b *testing.B) { plainColdStart(b, false) })
}

// BenchmarkWarmOpen is Open on a pooled (recycled) process; the Close that
// follows each open is not timed. BenchmarkWarmOpenClose times both.
func BenchmarkWarmOpen(b *testing.B) {
	h := newHost(b, "", sdk.SessionPolicy{})
	ctx := context.Background()
	warm, err := h.Open(ctx, benchDevice, benchReq)
	if err != nil {
		b.Fatal(err)
	}
	warm.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := h.Open(ctx, benchDevice, benchReq)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		c.Close()
		b.StartTimer()
	}
}

// BenchmarkWarmOpenClose is open + close on a pooled process.
func BenchmarkWarmOpenClose(b *testing.B) {
	h := newHost(b, "", sdk.SessionPolicy{})
	ctx := context.Background()
	for b.Loop() {
		c, err := h.Open(ctx, benchDevice, benchReq)
		if err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}

// BenchmarkUnaryCall is one cli call through the host and the plugin
// process, against BenchmarkDirectCall, the same work in process.
func BenchmarkUnaryCall(b *testing.B) {
	h := newHost(b, "", sdk.SessionPolicy{})
	ctx := context.Background()
	c, err := h.Open(ctx, benchDevice, benchReq)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	for b.Loop() {
		if _, err := c.CLI().SendCommand(ctx, "show version"); err != nil {
			b.Fatal(err)
		}
	}
}

type directCLI struct{}

func (directCLI) SendCommands(_ context.Context, req sdk.CommandsRequest) ([]sdk.Response, error) {
	out := make([]sdk.Response, len(req.Commands))
	for i, c := range req.Commands {
		out[i] = sdk.Response{Command: c, Result: "output of " + c + " on bench"}
	}
	return out, nil
}

// BenchmarkDirectCall is the in-process floor for BenchmarkUnaryCall.
func BenchmarkDirectCall(b *testing.B) {
	var cli sdk.CLI = directCLI{}
	ctx := context.Background()
	for b.Loop() {
		if _, err := cli.SendCommands(ctx, sdk.CommandsRequest{Commands: []string{"show version"}}); err != nil {
			b.Fatal(err)
		}
	}
}
