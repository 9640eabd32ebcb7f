package main

import (
	"context"
	"testing"
	"time"

	"github.com/netyard/netyard/internal/peers"
	"github.com/netyard/netyard/sdk"
)

func TestExploreFirstRPC(t *testing.T) {
	n := peers.StartNetconfd(t)
	for _, base := range []string{"1.0", "1.1"} { for _, delay := range []string{"2ms", "10ms"} {
		lost := 0
		for i := 0; i < 60; i++ {
			o, _ := parseOptions(map[string]string{"known_hosts": n.KnownHosts, "base": base, "hello_delay": delay})
			dev := sdk.Device{ID: "x", Host: n.Host, Port: n.Port, Username: peers.User, Password: peers.Password}
			t0 := time.Now()
			c, err := dial(context.Background(), dialConfig{dev: dev, opts: o})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			_, err = c.rpc(ctx, "<get-config><source><running/></source></get-config>")
			cancel()
			if err != nil {
				lost++
			}
			t1 := time.Now()
			c.close(context.Background())
			if i < 3 {
				t.Logf("dial+rpc %v close %v", t1.Sub(t0), time.Since(t1))
			}
		}
		t.Logf("base %s delay %s: lost %d/60", base, delay, lost) }
	}
}
