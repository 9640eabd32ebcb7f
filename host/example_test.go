package host_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/netyard/netyard/host"
)

// The connect() context manager: the connection is closed on every path.
func ExampleHost_With() {
	h, err := host.New(host.Config{PluginDirs: []string{"./bin/plugins"}})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close()

	dev := host.Device{ID: "edge1", Platform: "cisco_iosxe", Host: "192.0.2.10", Username: "netops", Password: "secret"}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = h.With(ctx, dev, host.Request{Type: "ssh", Fallback: true}, func(c *host.Conn) error {
		v, err := c.DeviceInfo().GetVersion(ctx)
		if err != nil {
			return err
		}
		fmt.Println(v.Hostname, v.SoftwareRelease)
		return nil
	})
	var ce *host.CreationError
	switch {
	case errors.As(err, &ce) && ce.Retryable:
		// unreachable or timed out: retry with backoff
	case errors.Is(err, host.ErrConnection):
		log.Printf("%s error: %v", host.Kind(err), err)
	}
}

// get_connection: keep a connection across several steps, then Close.
func ExampleHost_Open() {
	h, err := host.New(host.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close()
	dev := host.Device{ID: "edge1", Platform: "arista_eos", Host: "192.0.2.11", Username: "netops", Password: "secret"}
	c, err := h.Open(context.Background(), dev, host.Request{Type: "ssh", Library: "scrapli", Deferred: true})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Println("resolved to", c.Plugin().Name) // inspect before connecting
	if err := c.Connect(context.Background()); err != nil {
		log.Fatal(err)
	}
	r, err := c.CLI().SendCommand(context.Background(), "show version")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.Result, r.Failed, r.Elapsed)
}
