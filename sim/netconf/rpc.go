package netconf

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"
	"time"

	"github.com/netyard/netyard/sim/datastore"
)

type dsErr = datastore.Error

func errf(typ, tag, msg string, info ...datastore.Info) *dsErr {
	return &dsErr{Type: typ, Tag: tag, Message: msg, Info: info}
}

// params lists the parameters each operation accepts; anything else is an
// unknown-element error.
var params = map[string][]string{
	"get":             {"filter", "with-defaults"},
	"get-config":      {"source", "filter", "with-defaults"},
	"edit-config":     {"target", "default-operation", "test-option", "error-option", "config", "url"},
	"copy-config":     {"target", "source", "with-defaults"},
	"delete-config":   {"target"},
	"lock":            {"target"},
	"unlock":          {"target"},
	"commit":          {"confirmed", "confirm-timeout", "persist", "persist-id"},
	"cancel-commit":   {"persist-id"},
	"discard-changes": {},
	"validate":        {"source"},
	"close-session":   {},
	"kill-session":    {"session-id"},
}

// handle answers one RPC message; done is true after close-session.
func (s *session) handle(msg []byte, opts Options) (done bool, err error) {
	rpc, perr := datastore.ParseXML(msg)
	if perr != nil {
		s.log.Debug("malformed message", "err", perr)
		return false, s.replyErrors(nil, []*dsErr{errf("rpc", datastore.TagMalformedMessage, perr.Error())})
	}
	if rpc.Local != "rpc" || rpc.Space != BaseNS {
		return false, s.replyErrors(nil, []*dsErr{errf("protocol", datastore.TagUnknownElement,
			"expected rpc, got "+rpc.Local, datastore.Info{Name: "bad-element", Value: rpc.Local})})
	}
	if _, ok := rpc.Attr("", "message-id"); !ok {
		return false, s.replyErrors(rpc, []*dsErr{errf("rpc", datastore.TagMissingAttribute, "rpc lacks message-id",
			datastore.Info{Name: "bad-attribute", Value: "message-id"}, datastore.Info{Name: "bad-element", Value: "rpc"})})
	}
	if len(rpc.Children) != 1 {
		return false, s.replyErrors(rpc, []*dsErr{errf("rpc", datastore.TagMalformedMessage, "rpc must hold exactly one operation")})
	}
	op := rpc.Children[0]
	allowed, known := params[op.Local]
	if !known || (op.Space != BaseNS && op.Space != "") {
		s.log.Debug("unsupported operation", "op", op.Local, "ns", op.Space)
		return false, s.replyErrors(rpc, []*dsErr{errf("protocol", datastore.TagOperationNotSupported,
			"operation "+op.Local+" is not supported", datastore.Info{Name: "bad-element", Value: op.Local})})
	}
	for _, c := range op.Children {
		if !containsStr(allowed, c.Local) {
			return false, s.replyErrors(rpc, []*dsErr{errf("protocol", datastore.TagUnknownElement,
				"unexpected parameter "+c.Local+" of "+op.Local, datastore.Info{Name: "bad-element", Value: c.Local})})
		}
	}
	s.log.Debug("rpc", "op", op.Local)
	store := s.srv.store
	var data []*datastore.Node
	var opErr error
	switch op.Local {
	case "get":
		f, err := parseFilter(op)
		if err != nil {
			opErr = err
			break
		}
		data, opErr = store.Get(f)
		if opErr == nil {
			return false, s.replyData(rpc, data)
		}
	case "get-config":
		ds, _, err := datastoreParam(op, "source", false)
		if err != nil {
			opErr = err
			break
		}
		f, err := parseFilter(op)
		if err != nil {
			opErr = err
			break
		}
		if opts.OutputSize > 0 {
			return false, s.replyPadded(rpc, ds, f, opts.OutputSize)
		}
		data, opErr = store.GetConfig(ds, f)
		if opErr == nil {
			return false, s.replyData(rpc, data)
		}
	case "edit-config":
		opErr = s.editConfig(op)
	case "copy-config":
		target, _, err := datastoreParam(op, "target", false)
		if err != nil {
			opErr = err
			break
		}
		source, config, err := datastoreParam(op, "source", true)
		if err != nil {
			opErr = err
			break
		}
		opErr = store.CopyConfig(target, source, config, s.id)
	case "delete-config":
		target, _, err := datastoreParam(op, "target", false)
		if err != nil {
			opErr = err
			break
		}
		opErr = store.DeleteConfig(target, s.id)
	case "lock", "unlock":
		target, _, err := datastoreParam(op, "target", false)
		if err != nil {
			opErr = err
			break
		}
		if op.Local == "lock" {
			opErr = store.Lock(target, s.id)
		} else {
			opErr = store.Unlock(target, s.id)
		}
	case "commit":
		opErr = s.commit(op)
	case "cancel-commit":
		opErr = store.CancelCommit(s.id, childText(op, "persist-id"))
	case "discard-changes":
		opErr = store.DiscardChanges(s.id)
	case "validate":
		source, config, err := datastoreParam(op, "source", true)
		if err != nil {
			opErr = err
			break
		}
		opErr = store.Validate(source, config)
	case "close-session":
		return true, s.replyOK(rpc)
	case "kill-session":
		opErr = s.killSession(op)
	}
	if opErr != nil {
		s.log.Debug("rpc failed", "op", op.Local, "err", opErr)
		return false, s.replyErrors(rpc, datastore.AsErrors(opErr))
	}
	return false, s.replyOK(rpc)
}

func containsStr(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

func childText(n *datastore.Node, local string) string {
	if c := n.Child("", local); c != nil {
		return strings.TrimSpace(c.Text)
	}
	return ""
}

func missing(param string) *dsErr {
	return errf("protocol", datastore.TagMissingElement, "missing parameter "+param,
		datastore.Info{Name: "bad-element", Value: param})
}

// datastoreParam reads <source> or <target>: a datastore name or, when
// configOK, an inline <config> (returned with ds "").
func datastoreParam(op *datastore.Node, param string, configOK bool) (datastore.Datastore, []*datastore.Node, error) {
	p := op.Child("", param)
	if p == nil {
		return "", nil, missing(param)
	}
	if len(p.Children) != 1 {
		return "", nil, errf("protocol", datastore.TagInvalidValue, param+" must name one datastore",
			datastore.Info{Name: "bad-element", Value: param})
	}
	c := p.Children[0]
	switch {
	case c.Local == "config" && configOK:
		return "", c.Children, nil
	case c.Local == "url":
		return "", nil, errf("protocol", datastore.TagOperationNotSupported, ":url is not supported",
			datastore.Info{Name: "bad-element", Value: "url"})
	}
	ds, err := datastore.ParseDatastore(c.Local)
	return ds, nil, err
}

func parseFilter(op *datastore.Node) (datastore.Filter, error) {
	f := op.Child("", "filter")
	if f == nil {
		return nil, nil
	}
	typ, _ := f.Attr(BaseNS, "type")
	switch typ {
	case "", "subtree":
		return datastore.SubtreeFilter(f.Children), nil
	case "xpath":
		sel, ok := f.Attr(BaseNS, "select")
		if !ok {
			return nil, errf("protocol", datastore.TagMissingAttribute, "xpath filter lacks select",
				datastore.Info{Name: "bad-attribute", Value: "select"}, datastore.Info{Name: "bad-element", Value: "filter"})
		}
		return datastore.XPathFilter(sel, f.LookupPrefix)
	default:
		return nil, errf("protocol", datastore.TagBadAttribute, "unknown filter type "+typ,
			datastore.Info{Name: "bad-attribute", Value: "type"}, datastore.Info{Name: "bad-element", Value: "filter"})
	}
}

func (s *session) editConfig(op *datastore.Node) error {
	target, _, err := datastoreParam(op, "target", false)
	if err != nil {
		return err
	}
	if op.Child("", "url") != nil {
		return errf("protocol", datastore.TagOperationNotSupported, ":url is not supported",
			datastore.Info{Name: "bad-element", Value: "url"})
	}
	cfg := op.Child("", "config")
	if cfg == nil {
		return missing("config")
	}
	return s.srv.store.EditConfig(target, cfg.Children, datastore.EditOptions{
		DefaultOperation: childText(op, "default-operation"),
		TestOption:       childText(op, "test-option"),
		ErrorOption:      childText(op, "error-option"),
		Session:          s.id,
	})
}

func (s *session) commit(op *datastore.Node) error {
	opts := datastore.CommitOptions{
		Confirmed: op.Child("", "confirmed") != nil,
		Persist:   childText(op, "persist"),
		PersistID: childText(op, "persist-id"),
	}
	if t := childText(op, "confirm-timeout"); t != "" {
		n, err := strconv.ParseUint(t, 10, 32)
		if err != nil || n == 0 {
			return errf("protocol", datastore.TagInvalidValue, "confirm-timeout must be a positive number of seconds",
				datastore.Info{Name: "bad-element", Value: "confirm-timeout"})
		}
		opts.Timeout = time.Duration(n) * time.Second
	}
	return s.srv.store.Commit(s.id, opts)
}

func (s *session) killSession(op *datastore.Node) error {
	t := childText(op, "session-id")
	if t == "" {
		return missing("session-id")
	}
	id, err := strconv.ParseUint(t, 10, 32)
	if err != nil || id == 0 {
		return errf("protocol", datastore.TagInvalidValue, "invalid session-id "+strconv.Quote(t),
			datastore.Info{Name: "bad-element", Value: "session-id"})
	}
	if uint32(id) == s.id {
		return errf("protocol", datastore.TagInvalidValue, "a session cannot kill itself; use close-session",
			datastore.Info{Name: "bad-element", Value: "session-id"})
	}
	s.srv.mu.Lock()
	victim := s.srv.sessions[uint32(id)]
	s.srv.mu.Unlock()
	if victim == nil {
		return errf("protocol", datastore.TagInvalidValue, "no session "+t,
			datastore.Info{Name: "bad-element", Value: "session-id"})
	}
	victim.kill()
	// Release now rather than when the victim's goroutine notices, so the
	// killer can take the locks as soon as it has the reply.
	s.srv.store.ReleaseSession(uint32(id))
	s.log.Info("killed session", "victim", id)
	return nil
}

// replyHeader returns "<rpc-reply ...>" carrying the rpc's attributes.
func replyHeader(rpc *datastore.Node) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<rpc-reply xmlns="` + BaseNS + `"`)
	if rpc != nil {
		for _, a := range rpc.Attrs {
			if a.Name.Space != "" && a.Name.Space != BaseNS {
				continue
			}
			b.WriteString(" " + a.Name.Local + `="`)
			_ = xml.EscapeText(&b, []byte(a.Value))
			b.WriteString(`"`)
		}
	}
	b.WriteString(">")
	return b.Bytes()
}

func (s *session) send(b []byte) error { return s.enc.Encode(b) }

func (s *session) replyOK(rpc *datastore.Node) error {
	return s.send(append(replyHeader(rpc), "<ok/></rpc-reply>"...))
}

func (s *session) replyData(rpc *datastore.Node, data []*datastore.Node) error {
	b := append(replyHeader(rpc), "<data>"...)
	b = datastore.AppendXMLNodes(b, data, BaseNS)
	return s.send(append(b, "</data></rpc-reply>"...))
}

func (s *session) replyPadded(rpc *datastore.Node, ds datastore.Datastore, f datastore.Filter, size int) error {
	head := append(replyHeader(rpc), "<data>"...)
	const tail = "</data></rpc-reply>"
	w := s.enc.MessageWriter()
	if _, err := w.Write(head); err != nil {
		return err
	}
	if _, err := s.srv.store.WriteConfig(w, ds, f, size-len(head)-len(tail)); err != nil {
		return err
	}
	if _, err := w.Write([]byte(tail)); err != nil {
		return err
	}
	return w.Close()
}

func (s *session) replyErrors(rpc *datastore.Node, errs []*dsErr) error {
	b := replyHeader(rpc)
	for _, e := range errs {
		b = errorNode(e).AppendXML(b, BaseNS)
	}
	return s.send(append(b, "</rpc-reply>"...))
}

func errorNode(e *dsErr) *datastore.Node {
	sev := e.Severity
	if sev == "" {
		sev = "error"
	}
	n := datastore.Elem(BaseNS, "rpc-error",
		datastore.Leaf(BaseNS, "error-type", e.Type),
		datastore.Leaf(BaseNS, "error-tag", e.Tag),
		datastore.Leaf(BaseNS, "error-severity", sev))
	if e.AppTag != "" {
		n.Children = append(n.Children, datastore.Leaf(BaseNS, "error-app-tag", e.AppTag))
	}
	if e.Path != "" {
		n.Children = append(n.Children, datastore.Leaf(BaseNS, "error-path", e.Path))
	}
	if e.Message != "" {
		m := datastore.Leaf(BaseNS, "error-message", e.Message)
		m.Attrs = []xml.Attr{{Name: xml.Name{Local: "xml:lang"}, Value: "en"}}
		n.Children = append(n.Children, m)
	}
	if len(e.Info) > 0 {
		info := datastore.Elem(BaseNS, "error-info")
		for _, i := range e.Info {
			info.Children = append(info.Children, datastore.Leaf(BaseNS, i.Name, i.Value))
		}
		n.Children = append(n.Children, info)
	}
	return n
}
