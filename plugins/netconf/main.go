// Command netconf is netyard's NETCONF connection plugin (RFC 6241 over SSH,
// RFC 6242 framing). The client is netyard's own: golang.org/x/crypto/ssh and
// the streaming framer of internal/rfc6242, so multi-megabyte replies cost
// about what copying them costs (see docs/plugins/netconf.md).
package main

import (
	"context"

	"github.com/netyard/netyard/sdk"
)

func description() sdk.Description {
	return sdk.Description{
		Name:    "netconf",
		Version: "0.1.0",
		Provides: []sdk.Provide{{
			Type:         "netconf",
			Library:      "netyard",
			Platforms:    []string{"*"},
			Capabilities: []string{sdk.CapNETCONF, sdk.CapDeviceInfo},
		}},
	}
}

func main() {
	sdk.Serve(sdk.Plugin{
		Description: description(),
		Open: func(_ context.Context, req sdk.OpenRequest) (sdk.Session, error) {
			return newSession(req)
		},
	})
}
