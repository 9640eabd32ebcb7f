package main

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/netyard/netyard/sdk"
)

// Do is the api capability: one request below the base URL. An HTTP error
// status is a response; Go errors are transport failures, a 401 that
// survives the session's credentials (a Creation error) and bad requests.
func (s *session) Do(ctx context.Context, req sdk.APIRequest) (sdk.APIResponse, error) {
	c, err := s.client()
	if err != nil {
		return sdk.APIResponse{}, err
	}
	method := strings.ToUpper(strings.TrimSpace(req.Method))
	if method == "" {
		method = http.MethodGet
	}
	u, err := c.apiURL(s.opts.basePath, req.Path, req.Query)
	if err != nil {
		return sdk.APIResponse{}, err
	}
	h := http.Header{}
	for _, kv := range req.Headers {
		h.Add(kv.Name, kv.Value)
	}
	if h.Get("Accept") == "" {
		h.Set("Accept", s.opts.accept)
	}
	if len(req.Body) > 0 && h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	res, err := c.send(ctx, exchange{method: method, url: u, header: h, body: req.Body, retryUnsafe: req.RetryUnsafe})
	if err != nil {
		return sdk.APIResponse{}, c.operationErr(ctx, err, "%s %s", method, u)
	}
	return sdk.APIResponse{Status: res.status, Headers: headers(res.header), Body: res.body, Elapsed: res.elapsed, Attempts: res.attempts}, nil
}

// apiURL joins base URL, prefix and path, and appends the query in order. It
// refuses anything that would leave the device: the session's credentials
// go with every request.
func (c *client) apiURL(prefix, path string, query []sdk.Header) (string, error) {
	if strings.Contains(path, "://") || strings.HasPrefix(path, "//") {
		return "", sdk.OperationError(false, nil, "device %s: path %q must be a path on the device, not a URL", c.dev.ID, path)
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	u, err := url.Parse(c.base + prefix + path)
	if err != nil {
		return "", sdk.OperationError(false, err, "device %s: bad path %q", c.dev.ID, path)
	}
	if u.Scheme+"://"+u.Host != c.base {
		return "", sdk.OperationError(false, nil, "device %s: path %q leaves the device", c.dev.ID, path)
	}
	if len(query) > 0 {
		parts := make([]string, 0, len(query)+1)
		if u.RawQuery != "" {
			parts = append(parts, u.RawQuery)
		}
		for _, q := range query {
			parts = append(parts, url.QueryEscape(q.Name)+"="+url.QueryEscape(q.Value))
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	return u.String(), nil
}

// headers flattens response headers, sorted by name for stable output.
func headers(h http.Header) []sdk.Header {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	var out []sdk.Header
	for _, k := range names {
		for _, v := range h[k] {
			out = append(out, sdk.Header{Name: k, Value: v})
		}
	}
	return out
}
