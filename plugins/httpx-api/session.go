package main

import (
	"context"
	"net/http"
	"sync"

	"github.com/netyard/netyard/sdk"
)

// Types and library served; one session type serves both, and the SDK only
// lets through the capabilities of the entry the host resolved.
const (
	TypeAPI      = "api"
	TypeRESTCONF = "restconf"
	Library      = "httpx"
)

func description() sdk.Description {
	return sdk.Description{
		Name:    "httpx-api",
		Version: "0.1.0",
		Provides: []sdk.Provide{
			{Type: TypeAPI, Library: Library, Platforms: []string{"*"}, Capabilities: []string{sdk.CapAPI, sdk.CapDeviceInfo}},
			{Type: TypeRESTCONF, Library: Library, Platforms: []string{"*"}, Capabilities: []string{sdk.CapRESTCONF, sdk.CapDeviceInfo}},
		},
	}
}

// session is one device: an HTTP client of its own and, for restconf, the
// API root found at Connect.
type session struct {
	dev  sdk.Device
	typ  string
	log  sdk.Logger
	opts options

	mu   sync.Mutex
	c    *client
	root string // restconf API root, e.g. /restconf
}

var (
	_ sdk.Session          = (*session)(nil)
	_ sdk.API              = (*session)(nil)
	_ sdk.RESTCONF         = (*session)(nil)
	_ sdk.DeviceInfoGetter = (*session)(nil)
)

func newSession(req sdk.OpenRequest) (*session, error) {
	opts, unknown, err := parseOptions(req.Device)
	if err != nil {
		return nil, err
	}
	if len(unknown) > 0 {
		req.Logger.Warn("ignoring device options this plugin does not know", "options", unknown)
	}
	return &session{dev: req.Device, typ: req.Type, log: req.Logger, opts: opts}, nil
}

// Connect proves the device reachable, its certificate trusted and, where
// one request can tell, the credentials good: token auth logs in; api
// requests probe_path; restconf discovers its root.
func (s *session) Connect(ctx context.Context) error {
	c, err := newClient(s.dev, s.opts, s.log)
	if err != nil {
		return err
	}
	if s.opts.auth == "token" {
		if err := c.login(ctx); err != nil {
			c.close()
			return err
		}
	}
	switch s.typ {
	case TypeRESTCONF:
		root, err := c.discoverRoot(ctx)
		if err != nil {
			c.close()
			return err
		}
		s.root = root
	default:
		if s.opts.auth != "token" {
			if err := c.probe(ctx, s.opts.probePath); err != nil {
				c.close()
				return err
			}
		}
	}
	s.mu.Lock()
	s.c = c
	s.mu.Unlock()
	return nil
}

// probe sends HEAD path: any answer but 401 shows the device reachable (a
// 405 too). HEAD keeps a big document at probe_path off the wire.
func (c *client) probe(ctx context.Context, path string) error {
	ex := exchange{method: http.MethodHead, url: c.base + path, header: http.Header{"Accept": {c.opts.accept}}}
	_, err := c.send(ctx, ex)
	if err != nil {
		return c.creationErr(ctx, err, "HEAD %s", ex.url)
	}
	return nil
}

// Close drops the idle keep-alive connections.
func (s *session) Close(context.Context) error {
	s.mu.Lock()
	c := s.c
	s.c = nil
	s.mu.Unlock()
	if c != nil {
		c.close()
	}
	return nil
}

func (s *session) client() (*client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c == nil {
		return nil, sdk.StateError("session for device %s is not connected", s.dev.ID)
	}
	return s.c, nil
}
