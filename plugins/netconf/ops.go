package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/netyard/netyard/sdk"
)

// The RFC 6241 operations, each built as the body of one <rpc>.

// Capability prefixes the operations check before sending.
const (
	capCandidate       = "urn:ietf:params:netconf:capability:candidate:"
	capConfirmedCommit = "urn:ietf:params:netconf:capability:confirmed-commit:"
	capConfirmed11     = "urn:ietf:params:netconf:capability:confirmed-commit:1.1"
	capXPath           = "urn:ietf:params:netconf:capability:xpath:"
	capValidate        = "urn:ietf:params:netconf:capability:validate:"
)

func escText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&apos;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// datastore renders a datastore reference: a name such as running,
// candidate or startup, a URL (:url capability), or, for copy-config's
// source, an inline <config> element passed as is.
func datastore(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", validation("no datastore given")
	case strings.HasPrefix(name, "<"):
		return name, nil
	case strings.Contains(name, ":"):
		return "<url>" + escText(name) + "</url>", nil
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return "", validation("datastore %q is not a name such as running, candidate or startup", name)
		}
	}
	return "<" + name + "/>", nil
}

func validation(format string, args ...any) error {
	return &sdk.Error{Kind: sdk.KindValidation, Message: fmt.Sprintf(format, args...)}
}

// filter renders a subtree or xpath filter. A Content that is a whole
// <filter> element is passed as is (to declare namespace prefixes for an
// xpath select).
func (s *session) filter(f sdk.NetconfFilter) (string, error) {
	content := strings.TrimSpace(f.Content)
	if content == "" && f.Type == "" {
		return "", nil
	}
	if strings.HasPrefix(content, "<filter") || strings.Contains(content[:min(len(content), 64)], ":filter") {
		return content, nil
	}
	switch f.Type {
	case "", "subtree":
		return `<filter type="subtree">` + content + `</filter>`, nil
	case "xpath":
		if c, err := s.client(); err == nil && !c.hasCap(capXPath) {
			return "", s.unsupported("xpath filters", capXPath)
		}
		return `<filter type="xpath" select="` + escText(content) + `"/>`, nil
	default:
		return "", validation("filter type %q: subtree or xpath", f.Type)
	}
}

func (s *session) unsupported(what, capability string) error {
	return &sdk.Error{Kind: sdk.KindNotImplemented, Message: fmt.Sprintf("device %s does not advertise %s (%s*)", s.dev.ID, what, capability),
		Details: map[string]string{"capability": sdk.CapNETCONF, "method": what}}
}

func (s *session) do(ctx context.Context, op, body string) (sdk.NetconfReply, error) {
	out, _, err := s.call(ctx, op, body)
	return out, err
}

// Get runs <get> with an optional filter.
func (s *session) Get(ctx context.Context, f sdk.NetconfFilter) (sdk.NetconfReply, error) {
	flt, err := s.filter(f)
	if err != nil {
		return sdk.NetconfReply{}, err
	}
	return s.do(ctx, "get", "<get>"+flt+"</get>")
}

// GetConfig runs <get-config> on source (running when empty).
func (s *session) GetConfig(ctx context.Context, source string, f sdk.NetconfFilter) (sdk.NetconfReply, error) {
	if source == "" {
		source = "running"
	}
	src, err := datastore(source)
	if err != nil {
		return sdk.NetconfReply{}, err
	}
	flt, err := s.filter(f)
	if err != nil {
		return sdk.NetconfReply{}, err
	}
	return s.do(ctx, "get-config", "<get-config><source>"+src+"</source>"+flt+"</get-config>")
}

// configElement wraps content in <config> unless it already is one.
func configElement(content string) string {
	c := strings.TrimSpace(content)
	if t, ok := scanTag(c, skipMisc(c, 0)); ok && t.local == "config" {
		return c
	}
	return `<config>` + c + `</config>`
}

func oneOf(field, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return validation("%s %q: one of %s", field, v, strings.Join(allowed, ", "))
}

// EditConfig runs <edit-config>. The target defaults to candidate when the
// server has one, else running.
func (s *session) EditConfig(ctx context.Context, e sdk.EditConfig) (sdk.NetconfReply, error) {
	target := e.Target
	if target == "" {
		target = "running"
		if c, err := s.client(); err == nil && c.hasCap(capCandidate) {
			target = "candidate"
		}
	}
	tgt, err := datastore(target)
	if err != nil {
		return sdk.NetconfReply{}, err
	}
	var b strings.Builder
	b.WriteString("<edit-config><target>" + tgt + "</target>")
	if e.DefaultOperation != "" {
		if err := oneOf("default-operation", e.DefaultOperation, "merge", "replace", "none"); err != nil {
			return sdk.NetconfReply{}, err
		}
		b.WriteString("<default-operation>" + e.DefaultOperation + "</default-operation>")
	}
	if e.TestOption != "" {
		if err := oneOf("test-option", e.TestOption, "test-then-set", "set", "test-only"); err != nil {
			return sdk.NetconfReply{}, err
		}
		b.WriteString("<test-option>" + e.TestOption + "</test-option>")
	}
	if e.ErrorOption != "" {
		if err := oneOf("error-option", e.ErrorOption, "stop-on-error", "continue-on-error", "rollback-on-error"); err != nil {
			return sdk.NetconfReply{}, err
		}
		b.WriteString("<error-option>" + e.ErrorOption + "</error-option>")
	}
	b.WriteString(configElement(e.Config))
	b.WriteString("</edit-config>")
	return s.do(ctx, "edit-config", b.String())
}

func (s *session) targetOp(ctx context.Context, op, target string) (sdk.NetconfReply, error) {
	tgt, err := datastore(target)
	if err != nil {
		return sdk.NetconfReply{}, err
	}
	return s.do(ctx, op, "<"+op+"><target>"+tgt+"</target></"+op+">")
}

// Lock runs <lock> on target.
func (s *session) Lock(ctx context.Context, target string) (sdk.NetconfReply, error) {
	return s.targetOp(ctx, "lock", target)
}

// Unlock runs <unlock> on target.
func (s *session) Unlock(ctx context.Context, target string) (sdk.NetconfReply, error) {
	return s.targetOp(ctx, "unlock", target)
}

// DeleteConfig runs <delete-config> on target.
func (s *session) DeleteConfig(ctx context.Context, target string) (sdk.NetconfReply, error) {
	return s.targetOp(ctx, "delete-config", target)
}

// Commit runs <commit>, a confirmed commit when asked (the server must
// advertise :confirmed-commit; persist needs :confirmed-commit:1.1).
func (s *session) Commit(ctx context.Context, o sdk.CommitOptions) (sdk.NetconfReply, error) {
	c, err := s.client()
	if err != nil {
		return sdk.NetconfReply{}, err
	}
	if !o.Confirmed && o.ConfirmTimeout == 0 && o.Persist == "" && o.PersistID == "" {
		return s.do(ctx, "commit", "<commit/>")
	}
	var b strings.Builder
	b.WriteString("<commit>")
	if o.Confirmed || o.ConfirmTimeout > 0 || o.Persist != "" {
		if !c.hasCap(capConfirmedCommit) {
			return sdk.NetconfReply{}, s.unsupported("confirmed commit", capConfirmedCommit)
		}
		b.WriteString("<confirmed/>")
		if o.ConfirmTimeout > 0 {
			secs := int64((o.ConfirmTimeout + 999_999_999) / 1_000_000_000)
			b.WriteString("<confirm-timeout>" + strconv.FormatInt(secs, 10) + "</confirm-timeout>")
		}
	}
	if o.Persist != "" || o.PersistID != "" {
		if !c.hasCap(capConfirmed11) {
			return sdk.NetconfReply{}, s.unsupported("persist and persist-id", capConfirmed11)
		}
	}
	if o.Persist != "" {
		b.WriteString("<persist>" + escText(o.Persist) + "</persist>")
	}
	if o.PersistID != "" {
		b.WriteString("<persist-id>" + escText(o.PersistID) + "</persist-id>")
	}
	b.WriteString("</commit>")
	return s.do(ctx, "commit", b.String())
}

// CancelCommit runs <cancel-commit> (:confirmed-commit:1.1).
func (s *session) CancelCommit(ctx context.Context, persistID string) (sdk.NetconfReply, error) {
	c, err := s.client()
	if err != nil {
		return sdk.NetconfReply{}, err
	}
	if !c.hasCap(capConfirmed11) {
		return sdk.NetconfReply{}, s.unsupported("cancel-commit", capConfirmed11)
	}
	if persistID == "" {
		return s.do(ctx, "cancel-commit", "<cancel-commit/>")
	}
	return s.do(ctx, "cancel-commit", "<cancel-commit><persist-id>"+escText(persistID)+"</persist-id></cancel-commit>")
}

// DiscardChanges runs <discard-changes>.
func (s *session) DiscardChanges(ctx context.Context) (sdk.NetconfReply, error) {
	return s.do(ctx, "discard-changes", "<discard-changes/>")
}

// Validate runs <validate> on source (candidate when empty).
func (s *session) Validate(ctx context.Context, source string) (sdk.NetconfReply, error) {
	if c, err := s.client(); err == nil && !c.hasCap(capValidate) {
		return sdk.NetconfReply{}, s.unsupported("validate", capValidate)
	}
	if source == "" {
		source = "candidate"
	}
	src, err := datastore(source)
	if err != nil {
		return sdk.NetconfReply{}, err
	}
	return s.do(ctx, "validate", "<validate><source>"+src+"</source></validate>")
}

// CopyConfig runs <copy-config>; source may be a datastore name, a URL or
// an inline <config> element.
func (s *session) CopyConfig(ctx context.Context, target, source string) (sdk.NetconfReply, error) {
	tgt, err := datastore(target)
	if err != nil {
		return sdk.NetconfReply{}, err
	}
	src, err := datastore(source)
	if err != nil {
		return sdk.NetconfReply{}, err
	}
	return s.do(ctx, "copy-config", "<copy-config><target>"+tgt+"</target><source>"+src+"</source></copy-config>")
}

// RPC sends body inside <rpc> and returns the whole rpc-reply in Data.
func (s *session) RPC(ctx context.Context, body string) (sdk.NetconfReply, error) {
	if strings.TrimSpace(body) == "" {
		return sdk.NetconfReply{}, validation("empty rpc body")
	}
	return s.do(ctx, "rpc", body)
}
