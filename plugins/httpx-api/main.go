// Command httpx-api is the netyard connection plugin for HTTP device APIs
// (type api) and RESTCONF (type restconf, RFC 8040), both served by Go's
// net/http (library httpx). Device options are documented in
// docs/plugins/httpx-api.md and in options.go.
package main

import (
	"context"

	"github.com/netyard/netyard/sdk"
)

func main() {
	sdk.Serve(sdk.Plugin{
		Description: description(),
		Open: func(_ context.Context, req sdk.OpenRequest) (sdk.Session, error) {
			return newSession(req)
		},
	})
}
