package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/netyard/netyard/sdk"
)

// RFC 8040 media types.
const (
	mediaYangJSON = "application/yang-data+json"
	mediaYangXML  = "application/yang-data+xml"
)

// discoverRoot finds the RESTCONF API root (RFC 8040 section 3.1): the
// restconf_root option, else the "restconf" link of /.well-known/host-meta,
// else /restconf when the device has no host-meta. It doubles as the
// connect probe: reachability, TLS and credentials.
func (c *client) discoverRoot(ctx context.Context) (string, error) {
	if c.opts.restconfRoot != "" {
		ex := exchange{method: http.MethodHead, url: c.base + c.opts.restconfRoot, header: http.Header{"Accept": {mediaYangJSON}}}
		if _, err := c.send(ctx, ex); err != nil {
			return "", c.creationErr(ctx, err, "HEAD %s", ex.url)
		}
		return c.opts.restconfRoot, nil
	}
	ex := exchange{method: http.MethodGet, url: c.base + "/.well-known/host-meta", header: http.Header{"Accept": {"application/xrd+xml"}}}
	res, err := c.send(ctx, ex)
	if err != nil {
		return "", c.creationErr(ctx, err, "RESTCONF root discovery: GET %s", ex.url)
	}
	if res.status == http.StatusOK {
		if root, ok := hostMetaRoot(res.body); ok {
			c.log.Debug("RESTCONF root discovered", "root", root)
			return root, nil
		}
		return "", sdk.CreationError(false, nil, "device %s: RESTCONF root discovery: %s has no restconf link (set option %s)", c.dev.ID, ex.url, OptRestconfRoot)
	}
	if retryStatus(res.status) {
		return "", sdk.CreationError(true, nil, "device %s: RESTCONF root discovery: GET %s answered %d after %d attempt(s)", c.dev.ID, ex.url, res.status, res.attempts)
	}
	c.log.Debug("no host-meta; assuming /restconf", "status", res.status)
	return "/restconf", nil
}

// hostMetaRoot reads the restconf link of an XRD document (RFC 6415).
func hostMetaRoot(body []byte) (string, bool) {
	var xrd struct {
		Links []struct {
			Rel  string `xml:"rel,attr"`
			Href string `xml:"href,attr"`
		} `xml:"Link"`
	}
	if err := xml.Unmarshal(body, &xrd); err != nil {
		return "", false
	}
	for _, l := range xrd.Links {
		if l.Rel != "restconf" || l.Href == "" {
			continue
		}
		// An absolute href still names this device's root: only its path is
		// used, so that credentials never follow it elsewhere.
		if u, err := url.Parse(l.Href); err == nil && u.Path != "" {
			return strings.TrimRight(u.Path, "/"), true
		}
	}
	return "", false
}

// Restconf is the restconf capability: one operation on a data resource.
// An error status comes back as a response whose Errors hold the RFC 8040
// errors body (or one error made from the status when the body has none).
// Only the idempotent methods are retried.
func (s *session) Restconf(ctx context.Context, req sdk.RestconfRequest) (sdk.RestconfResponse, error) {
	c, err := s.client()
	if err != nil {
		return sdk.RestconfResponse{}, err
	}
	method := strings.ToUpper(strings.TrimSpace(req.Method))
	switch method {
	case "":
		method = http.MethodGet
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodPatch, http.MethodPost, http.MethodDelete:
	default:
		return sdk.RestconfResponse{}, sdk.OperationError(false, nil, "device %s: RESTCONF method %q: use GET, HEAD, OPTIONS, PUT, PATCH, POST or DELETE", s.dev.ID, req.Method)
	}
	media := mediaYangJSON
	switch strings.ToLower(req.Encoding) {
	case "", "json":
	case "xml":
		media = mediaYangXML
	default:
		return sdk.RestconfResponse{}, sdk.OperationError(false, nil, "device %s: RESTCONF encoding %q: use json or xml", s.dev.ID, req.Encoding)
	}
	u, err := c.apiURL(s.root, s.dataPath(req.Path), req.Query)
	if err != nil {
		return sdk.RestconfResponse{}, err
	}
	h := http.Header{"Accept": {media}}
	if len(req.Body) > 0 {
		h.Set("Content-Type", media)
	}
	res, err := c.send(ctx, exchange{method: method, url: u, header: h, body: req.Body})
	if err != nil {
		return sdk.RestconfResponse{}, c.operationErr(ctx, err, "RESTCONF %s %s", method, u)
	}
	out := sdk.RestconfResponse{Status: res.status, Body: res.body, Headers: headers(res.header), Elapsed: res.elapsed}
	if res.status >= 400 {
		out.Errors = restconfErrors(res.status, res.header.Get("Content-Type"), res.body)
	}
	return out, nil
}

// dataPath maps a request path to the path below the root: a path below
// /restconf/data, with or without a leading slash; a caller that passes the
// full /restconf/data/... path is understood too.
func (s *session) dataPath(p string) string {
	p = "/" + strings.TrimPrefix(p, "/")
	if s.root != "" && (p == s.root || strings.HasPrefix(p, s.root+"/")) {
		p = strings.TrimPrefix(p, s.root)
	}
	p = strings.TrimPrefix(p, "/")
	p = strings.TrimPrefix(p, "data/")
	if p == "data" {
		p = ""
	}
	if p == "" {
		return "/data"
	}
	return "/data/" + p
}

// restconfErrors parses an RFC 8040 section 7.1 errors body, JSON or XML.
func restconfErrors(status int, contentType string, body []byte) []sdk.RestconfError {
	mt, _, _ := mime.ParseMediaType(contentType)
	var errs []sdk.RestconfError
	trimmed := bytes.TrimSpace(body)
	switch {
	case strings.HasSuffix(mt, "xml") || bytes.HasPrefix(trimmed, []byte("<")):
		errs = xmlErrors(trimmed)
	case len(trimmed) > 0:
		errs = jsonErrors(trimmed)
	}
	if len(errs) > 0 {
		return errs
	}
	return []sdk.RestconfError{{Type: "protocol", Tag: statusTag(status),
		Message: strings.TrimPrefix(fmt.Sprintf("HTTP %d %s%s", status, http.StatusText(status), bodyHint(body)), " ")}}
}

type jsonError struct {
	Type    string          `json:"error-type"`
	Tag     string          `json:"error-tag"`
	AppTag  string          `json:"error-app-tag"`
	Path    any             `json:"error-path"` // a string, or an instance-identifier object in some servers
	Message any             `json:"error-message"`
	Info    json.RawMessage `json:"error-info"`
}

func jsonErrors(body []byte) []sdk.RestconfError {
	var doc map[string]json.RawMessage
	if json.Unmarshal(body, &doc) != nil {
		return nil
	}
	raw, ok := doc["ietf-restconf:errors"]
	if !ok {
		raw, ok = doc["errors"]
	}
	if !ok {
		return nil
	}
	var errs struct {
		Error []jsonError `json:"error"`
	}
	if json.Unmarshal(raw, &errs) != nil {
		return nil
	}
	out := make([]sdk.RestconfError, 0, len(errs.Error))
	for _, e := range errs.Error {
		out = append(out, sdk.RestconfError{Type: e.Type, Tag: e.Tag, AppTag: e.AppTag,
			Path: textOf(e.Path), Message: textOf(e.Message), Info: string(e.Info)})
	}
	return out
}

// textOf renders a JSON value that is usually a string.
func textOf(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case map[string]any:
		if s, ok := t["value"].(string); ok { // error-message with xml:lang
			return s
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func xmlErrors(body []byte) []sdk.RestconfError {
	var doc struct {
		XMLName xml.Name
		Error   []struct {
			Type    string `xml:"error-type"`
			Tag     string `xml:"error-tag"`
			AppTag  string `xml:"error-app-tag"`
			Path    string `xml:"error-path"`
			Message string `xml:"error-message"`
			Info    struct {
				Inner string `xml:",innerxml"`
			} `xml:"error-info"`
		} `xml:"error"`
	}
	if xml.Unmarshal(body, &doc) != nil || doc.XMLName.Local != "errors" {
		return nil
	}
	out := make([]sdk.RestconfError, 0, len(doc.Error))
	for _, e := range doc.Error {
		out = append(out, sdk.RestconfError{Type: e.Type, Tag: e.Tag, AppTag: e.AppTag,
			Path: strings.TrimSpace(e.Path), Message: strings.TrimSpace(e.Message), Info: strings.TrimSpace(e.Info.Inner)})
	}
	return out
}

// statusTag is the error-tag RFC 8040 section 7 pairs with a status, for
// error responses without an errors body.
func statusTag(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusNotFound, http.StatusNotAcceptable:
		return "invalid-value"
	case http.StatusUnauthorized, http.StatusForbidden:
		return "access-denied"
	case http.StatusMethodNotAllowed, http.StatusNotImplemented:
		return "operation-not-supported"
	case http.StatusConflict:
		return "resource-denied"
	case http.StatusRequestEntityTooLarge:
		return "too-big"
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return "resource-denied"
	}
	return "operation-failed"
}
