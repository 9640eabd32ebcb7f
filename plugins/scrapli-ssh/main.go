// Command scrapli-ssh is the netyard SSH CLI plugin: device sessions over
// SSH driven by scrapligo (github.com/scrapli/scrapligo v1.4.3), serving the
// cli, cli.config and device_info capabilities.
//
// Platform behaviour is data (platforms.yaml); device options are listed in
// options.go and docs/plugins/scrapli-ssh.md.
package main

import (
	"context"

	"github.com/netyard/netyard/sdk"
)

func main() {
	sdk.Serve(sdk.Plugin{
		Description: sdk.Description{
			Name:    "scrapli-ssh",
			Version: "0.1.0",
			Provides: []sdk.Provide{{
				Type:         "ssh",
				Library:      "scrapli",
				Platforms:    platformNames(),
				Capabilities: []string{sdk.CapCLI, sdk.CapCLIConfig, sdk.CapDeviceInfo},
			}},
		},
		Open: func(_ context.Context, req sdk.OpenRequest) (sdk.Session, error) {
			s, err := open(req)
			if err != nil {
				return nil, err
			}
			return s, nil
		},
	})
}
