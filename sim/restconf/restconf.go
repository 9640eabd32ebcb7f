// Package restconf serves RFC 8040 RESTCONF over a datastore.Store: the
// {+restconf}/data resource tree in JSON (RFC 7951) and XML, root resource
// discovery through /.well-known/host-meta, and RFC 8040 error bodies.
//
// RESTCONF edits go to the running datastore (there is no candidate in
// RESTCONF); they respect NETCONF locks on running, failing with 409 in-use.
package restconf

import (
	"encoding/xml"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/netyard/netyard/sim/datastore"
)

// Media types of RFC 8040 section 11.3.
const (
	MediaJSON = "application/yang-data+json"
	MediaXML  = "application/yang-data+xml"
)

// YANGLibraryVersion is reported by {+restconf}/yang-library-version.
const YANGLibraryVersion = "2019-01-04"

// maxBody bounds request bodies.
const maxBody = 64 << 20

type handler struct {
	store  *datastore.Store
	schema *datastore.Schema
}

// Handler serves /restconf/... and /.well-known/host-meta over the store;
// auth is done by the caller's middleware.
func Handler(store *datastore.Store) http.Handler {
	return &handler{store: store, schema: store.Schema()}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.EscapedPath()
	switch {
	case p == "/.well-known/host-meta":
		if !allow(w, r, "GET", "HEAD") {
			return
		}
		w.Header().Set("Content-Type", "application/xrd+xml")
		_, _ = io.WriteString(w, "<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\n  <Link rel='restconf' href='/restconf'/>\n</XRD>\n")
	case p == "/restconf" || p == "/restconf/":
		if !allow(w, r, "GET", "HEAD") {
			return
		}
		h.writeValue(w, r, http.StatusOK,
			`{"ietf-restconf:restconf":{"data":{},"operations":{},"yang-library-version":"`+YANGLibraryVersion+`"}}`,
			`<restconf xmlns="`+datastore.RestconfNS+`"><data/><operations/><yang-library-version>`+YANGLibraryVersion+`</yang-library-version></restconf>`)
	case p == "/restconf/operations" || p == "/restconf/operations/":
		if !allow(w, r, "GET", "HEAD") {
			return
		}
		h.writeValue(w, r, http.StatusOK, `{"ietf-restconf:operations":{}}`, `<operations xmlns="`+datastore.RestconfNS+`"/>`)
	case p == "/restconf/yang-library-version":
		if !allow(w, r, "GET", "HEAD") {
			return
		}
		h.writeValue(w, r, http.StatusOK, `{"ietf-restconf:yang-library-version":"`+YANGLibraryVersion+`"}`,
			`<yang-library-version xmlns="`+datastore.RestconfNS+`">`+YANGLibraryVersion+`</yang-library-version>`)
	case p == "/restconf/data" || strings.HasPrefix(p, "/restconf/data/"):
		h.data(w, r, strings.TrimPrefix(strings.TrimPrefix(p, "/restconf/data"), "/"))
	case strings.HasPrefix(p, "/restconf/operations/"):
		h.writeErrors(w, r, http.StatusNotFound, []*datastore.Error{{Type: "protocol", Tag: datastore.TagInvalidValue,
			Message: "no such operation"}})
	default:
		h.writeErrors(w, r, http.StatusNotFound, []*datastore.Error{{Type: "protocol", Tag: datastore.TagInvalidValue,
			Message: "no such resource " + p}})
	}
}

func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusOK)
		return false
	}
	writeErrorsAs(w, wantXML(r), http.StatusMethodNotAllowed, []*datastore.Error{{Type: "protocol",
		Tag: datastore.TagOperationNotSupported, Message: "method " + r.Method + " not allowed"}})
	return false
}

// wantXML reports whether the client prefers XML to JSON in Accept.
func wantXML(r *http.Request) bool {
	acc := r.Header.Get("Accept")
	x := firstIndex(acc, MediaXML, "application/xml")
	j := firstIndex(acc, MediaJSON, "application/json")
	return x >= 0 && (j < 0 || x < j)
}

func firstIndex(s string, subs ...string) int {
	best := -1
	for _, sub := range subs {
		if i := strings.Index(s, sub); i >= 0 && (best < 0 || i < best) {
			best = i
		}
	}
	return best
}

func (h *handler) writeValue(w http.ResponseWriter, r *http.Request, status int, js, x string) {
	if wantXML(r) {
		w.Header().Set("Content-Type", MediaXML)
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			_, _ = io.WriteString(w, x)
		}
		return
	}
	w.Header().Set("Content-Type", MediaJSON)
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, js)
	}
}

// parsePath turns "ietf-interfaces:interfaces/interface=eth0" into a Path.
func (h *handler) parsePath(raw string) (datastore.Path, error) {
	if raw == "" {
		return nil, nil
	}
	var p datastore.Path
	ns := ""
	for _, seg := range strings.Split(strings.TrimSuffix(raw, "/"), "/") {
		name, keys, hasKeys := strings.Cut(seg, "=")
		name, err := url.PathUnescape(name)
		if err != nil || name == "" {
			return nil, badPath("bad path segment " + strconv.Quote(seg))
		}
		if mod, local, ok := strings.Cut(name, ":"); ok {
			uri, known := h.schema.Modules[mod]
			if !known {
				return nil, &datastore.Error{Type: "application", Tag: datastore.TagUnknownNamespace,
					Message: "unknown module " + strconv.Quote(mod)}
			}
			ns, name = uri, local
		} else if ns == "" {
			return nil, badPath("the first path segment needs a module name: " + strconv.Quote(seg))
		}
		e := datastore.PathElem{Space: ns, Local: name}
		if hasKeys {
			for _, k := range strings.Split(keys, ",") {
				v, err := url.PathUnescape(k)
				if err != nil {
					return nil, badPath("bad key value " + strconv.Quote(k))
				}
				e.Keys = append(e.Keys, v)
			}
		}
		p = append(p, e)
	}
	return p, nil
}

func badPath(msg string) *datastore.Error {
	return &datastore.Error{Type: "protocol", Tag: datastore.TagInvalidValue, Message: msg}
}

func (h *handler) data(w http.ResponseWriter, r *http.Request, raw string) {
	path, err := h.parsePath(raw)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		h.get(w, r, path)
	case http.MethodPut, http.MethodPatch, http.MethodPost:
		body, err := h.readBody(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		op := map[string]string{http.MethodPut: datastore.OpReplace, http.MethodPatch: datastore.OpMerge,
			http.MethodPost: datastore.OpCreate}[r.Method]
		created, err := h.store.EditPath(datastore.Running, path, op, body, 0)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		switch {
		case r.Method == http.MethodPost:
			if len(body) > 0 {
				w.Header().Set("Location", "/restconf/data/"+strings.TrimSuffix(raw, "/")+h.segment(path, body[0]))
			}
			w.WriteHeader(http.StatusCreated)
		case r.Method == http.MethodPut && created:
			w.WriteHeader(http.StatusCreated)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	case http.MethodDelete:
		if _, err := h.store.EditPath(datastore.Running, path, datastore.OpDelete, nil, 0); err != nil {
			h.fail(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		allow(w, r, "GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS")
	}
}

// segment returns the URI segment (with a leading "/" unless at the root)
// addressing child n of the resource at path.
func (h *handler) segment(path datastore.Path, n *datastore.Node) string {
	parentNS := ""
	if len(path) > 0 {
		parentNS = path[len(path)-1].Space
	}
	seg := n.Local
	if n.Space != parentNS {
		if mod, ok := h.schema.ModuleOf(n.Space); ok {
			seg = mod + ":" + n.Local
		}
	}
	if keys := h.schema.Keys(n.Local); len(keys) > 0 {
		vals := make([]string, len(keys))
		for i, k := range keys {
			vals[i] = url.PathEscape(strings.TrimSpace(n.ChildText(k)))
		}
		seg += "=" + strings.Join(vals, ",")
	}
	if len(path) == 0 {
		return seg
	}
	return "/" + seg
}

func (h *handler) get(w http.ResponseWriter, r *http.Request, path datastore.Path) {
	depth := -1
	for k, v := range r.URL.Query() {
		switch k {
		case "depth":
			if v[0] != "unbounded" {
				d, err := strconv.Atoi(v[0])
				if err != nil || d < 1 || d > 65535 {
					h.fail(w, r, &datastore.Error{Type: "protocol", Tag: datastore.TagInvalidValue, Message: "invalid depth " + strconv.Quote(v[0])})
					return
				}
				depth = d
			}
		case "content", "with-defaults":
			// Everything stored is configuration and no defaults are
			// hidden, so these do not change the answer.
		default:
			h.fail(w, r, &datastore.Error{Type: "protocol", Tag: datastore.TagInvalidValue,
				Message: "unsupported query parameter " + strconv.Quote(k)})
			return
		}
	}
	n, err := h.store.GetPath(datastore.Running, path)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if depth > 0 {
		prune(n, depth)
	}
	w.Header().Set("ETag", `"`+strconv.FormatUint(h.store.Version(), 10)+`"`)
	var js, x []byte
	if len(path) == 0 {
		js = append([]byte(`{"ietf-restconf:data":`), h.schema.AppendJSON(nil, n.Children, "")...)
		js = append(js, '}')
		x = []byte(`<data xmlns="` + datastore.RestconfNS + `">`)
		x = datastore.AppendXMLNodes(x, n.Children, datastore.RestconfNS)
		x = append(x, "</data>"...)
	} else {
		js = h.schema.AppendJSON(nil, []*datastore.Node{n}, "")
		x = n.AppendXML(nil, "")
	}
	h.writeValue(w, r, http.StatusOK, string(js), string(x))
}

// prune cuts n's subtree below depth levels (RFC 8040 section 4.8.2; the
// target resource is level 1).
func prune(n *datastore.Node, depth int) {
	if depth <= 1 {
		n.Children = nil
		return
	}
	for _, c := range n.Children {
		prune(c, depth-1)
	}
}

func (h *handler) readBody(r *http.Request) ([]*datastore.Node, error) {
	ct := r.Header.Get("Content-Type")
	mt := MediaJSON
	if ct != "" {
		var err error
		if mt, _, err = mime.ParseMediaType(ct); err != nil {
			return nil, errUnsupportedMedia
		}
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, &datastore.Error{Type: "transport", Tag: datastore.TagMalformedMessage, Message: "reading body: " + err.Error()}
	}
	if len(data) > maxBody {
		return nil, &datastore.Error{Type: "application", Tag: datastore.TagTooBig, Message: "request body too large"}
	}
	switch mt {
	case MediaJSON, "application/json":
		nodes, err := h.schema.ParseJSON(data, "")
		if err != nil {
			return nil, err
		}
		if len(nodes) == 1 && nodes[0].Space == datastore.RestconfNS && nodes[0].Local == "data" {
			nodes = nodes[0].Children
		}
		return nodes, nil
	case MediaXML, "application/xml", "text/xml":
		root, err := datastore.ParseXML(data)
		if err != nil {
			return nil, &datastore.Error{Type: "protocol", Tag: datastore.TagMalformedMessage, Message: err.Error()}
		}
		if root.Space == datastore.RestconfNS && root.Local == "data" {
			return root.Children, nil
		}
		return []*datastore.Node{root}, nil
	}
	return nil, errUnsupportedMedia
}

var errUnsupportedMedia = errors.New("unsupported media type")

// status maps an rpc-error to an HTTP status (RFC 8040 section 7); a missing
// target resource is 404 rather than 409.
func status(e *datastore.Error) int {
	switch e.Tag {
	case datastore.TagInUse, datastore.TagLockDenied, datastore.TagResourceDenied, datastore.TagDataExists:
		return http.StatusConflict
	case datastore.TagDataMissing:
		if e.AppTag != "" {
			return http.StatusBadRequest // validation: a mandatory leaf is missing
		}
		return http.StatusNotFound
	case datastore.TagTooBig:
		return http.StatusRequestEntityTooLarge
	case datastore.TagOperationNotSupported:
		return http.StatusMethodNotAllowed
	case datastore.TagAccessDenied:
		return http.StatusForbidden
	case datastore.TagOperationFailed, datastore.TagRollbackFailed:
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errUnsupportedMedia) {
		h.writeErrors(w, r, http.StatusUnsupportedMediaType, []*datastore.Error{{Type: "protocol",
			Tag: datastore.TagInvalidValue, Message: "unsupported Content-Type " + strconv.Quote(r.Header.Get("Content-Type"))}})
		return
	}
	errs := datastore.AsErrors(err)
	h.writeErrors(w, r, status(errs[0]), errs)
}

func (h *handler) writeErrors(w http.ResponseWriter, r *http.Request, code int, errs []*datastore.Error) {
	writeErrorsAs(w, wantXML(r), code, errs)
}

type jsonError struct {
	Type    string            `json:"error-type"`
	Tag     string            `json:"error-tag"`
	AppTag  string            `json:"error-app-tag,omitempty"`
	Path    string            `json:"error-path,omitempty"`
	Message string            `json:"error-message,omitempty"`
	Info    map[string]string `json:"error-info,omitempty"`
}

// writeErrorsAs writes an RFC 8040 section 7.1 errors body.
func writeErrorsAs(w http.ResponseWriter, asXML bool, code int, errs []*datastore.Error) {
	if asXML {
		w.Header().Set("Content-Type", MediaXML)
		w.WriteHeader(code)
		var b strings.Builder
		b.WriteString(`<errors xmlns="` + datastore.RestconfNS + `">`)
		for _, e := range errs {
			b.WriteString("<error>")
			elem(&b, "error-type", e.Type)
			elem(&b, "error-tag", e.Tag)
			elem(&b, "error-app-tag", e.AppTag)
			elem(&b, "error-path", e.Path)
			elem(&b, "error-message", e.Message)
			if len(e.Info) > 0 {
				b.WriteString("<error-info>")
				for _, i := range e.Info {
					elem(&b, i.Name, i.Value)
				}
				b.WriteString("</error-info>")
			}
			b.WriteString("</error>")
		}
		b.WriteString("</errors>")
		_, _ = io.WriteString(w, b.String())
		return
	}
	out := make([]jsonError, len(errs))
	for i, e := range errs {
		out[i] = jsonError{Type: e.Type, Tag: e.Tag, AppTag: e.AppTag, Path: e.Path, Message: e.Message}
		if len(e.Info) > 0 {
			out[i].Info = map[string]string{}
			for _, in := range e.Info {
				out[i].Info[in.Name] = in.Value
			}
		}
	}
	w.Header().Set("Content-Type", MediaJSON)
	w.WriteHeader(code)
	_ = jsonEncode(w, map[string]any{"ietf-restconf:errors": map[string]any{"error": out}})
}

func elem(b *strings.Builder, name, v string) {
	if v == "" {
		return
	}
	b.WriteString("<" + name + ">")
	_ = xml.EscapeText(b, []byte(v))
	b.WriteString("</" + name + ">")
}
