// Command ssh-exec is a netyard connection plugin written outside the netyard
// repository: it runs each command in its own SSH exec channel, the way
// `ssh host command` does, with golang.org/x/crypto/ssh. It imports only
// netyard's sdk package.
package main

import (
	"context"

	"github.com/netyard/netyard/sdk"
)

func main() {
	sdk.Serve(sdk.Plugin{
		Description: sdk.Description{Name: "ssh-exec", Version: "0.1.0", Provides: []sdk.Provide{{
			Type:         "ssh",
			Library:      "exec",
			Platforms:    []string{"linux", "cisco_iosxe", "arista_eos", "juniper_junos"},
			Capabilities: []string{sdk.CapCLI},
		}}},
		Open: func(_ context.Context, req sdk.OpenRequest) (sdk.Session, error) {
			o, err := parseOptions(req.Device)
			if err != nil {
				return nil, err
			}
			return &session{dev: req.Device, opts: o, log: req.Logger}, nil
		},
	})
}
