package sdk_test

import (
	"context"

	"github.com/netyard/netyard/sdk"
)

type session struct{ dev sdk.Device }

func (s *session) Connect(ctx context.Context) error { return nil }
func (s *session) Close(ctx context.Context) error   { return nil }

// SendCommands makes the session serve the "cli" capability.
func (s *session) SendCommands(ctx context.Context, req sdk.CommandsRequest) ([]sdk.Response, error) {
	out := make([]sdk.Response, len(req.Commands))
	for i, c := range req.Commands {
		out[i] = sdk.Response{Command: c, Result: "ok"}
	}
	return out, nil
}

// A plugin's main function: describe what it serves, hand Serve a factory.
func ExampleServe() {
	sdk.Serve(sdk.Plugin{
		Description: sdk.Description{
			Name:    "my-ssh",
			Version: "0.1.0",
			Provides: []sdk.Provide{{Type: "ssh", Library: "mylib", Platforms: []string{"linux"},
				Capabilities: []string{sdk.CapCLI}}},
		},
		Open: func(ctx context.Context, req sdk.OpenRequest) (sdk.Session, error) {
			return &session{dev: req.Device}, nil
		},
	})
}
