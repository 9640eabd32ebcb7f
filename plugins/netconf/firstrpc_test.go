package main

import (
	"context"
	"testing"
	"time"

	"github.com/netyard/netyard/internal/peers"
	"github.com/netyard/netyard/sdk"
)

// TestFirstRPCNotLost opens sessions and sends an RPC right away: netconfd
// drops an RPC that arrives in the same read as the client's hello, which
// hello_delay prevents (with hello_delay=0s, 2 to 5 of 15 were lost here).
func TestFirstRPCNotLost(t *testing.T) {
	n := peers.StartNetconfd(t)
	for _, base := range []string{"1.0", "1.1"} {
		for i := range 5 {
			o, err := parseOptions(map[string]string{OptKnownHosts: n.KnownHosts, OptBase: base})
			if err != nil {
				t.Fatal(err)
			}
			dev := sdk.Device{ID: "first-rpc", Host: n.Host, Port: n.Port, Username: peers.User, Password: peers.Password}
			c, err := dial(context.Background(), dialConfig{dev: dev, opts: o})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err = c.rpc(ctx, "<get-config><source><running/></source></get-config>")
			cancel()
			c.close(context.Background())
			if err != nil {
				t.Errorf("base %s, session %d: first rpc: %v", base, i, err)
			}
		}
	}
}
