package main

import (
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/netyard/netyard/sdk"
)

// Replies are parsed in two speeds. The common large reply, an rpc-reply
// whose first child is <data>, is sliced: the data content is the text
// between the end of the <data> start tag and the last </data> end tag,
// found with two string searches, so a 10 MB get-config costs no XML
// parsing at all. Everything else (ok, rpc-error, custom replies) is small
// and goes through encoding/xml.

// parseHello returns the capabilities and session id of the server's hello.
func parseHello(msg []byte) ([]string, uint32, error) {
	var h struct {
		XMLName      xml.Name `xml:"hello"`
		Capabilities []string `xml:"capabilities>capability"`
		SessionID    string   `xml:"session-id"`
	}
	if err := xml.Unmarshal(msg, &h); err != nil {
		return nil, 0, &protocolError{fmt.Sprintf("the server's hello is not valid XML: %v", err)}
	}
	caps := make([]string, 0, len(h.Capabilities))
	for _, c := range h.Capabilities {
		if c = strings.TrimSpace(c); c != "" {
			caps = append(caps, c)
		}
	}
	id, err := strconv.ParseUint(strings.TrimSpace(h.SessionID), 10, 32)
	if err != nil {
		return nil, 0, &protocolError{fmt.Sprintf("the server's hello has no valid session-id (%q)", h.SessionID)}
	}
	return caps, uint32(id), nil
}

// reply is a parsed rpc-reply.
type reply struct {
	ok      bool // <ok/>, or data/other content without error-severity rpc-errors
	hasData bool
	data    string // content of <data>, a slice of the message
	errors  []sdk.NetconfError
}

// startTag is an element start tag found by scanTag.
type startTag struct {
	name        string // qualified name as written (prefix:local)
	local       string
	attrs       string // raw attribute text
	end         int    // index just past '>'
	selfClosing bool
}

// skipMisc skips whitespace, the XML declaration, processing instructions
// and comments from i.
func skipMisc(s string, i int) int {
	for i < len(s) {
		switch {
		case s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n':
			i++
		case strings.HasPrefix(s[i:], "<?"):
			j := strings.Index(s[i:], "?>")
			if j < 0 {
				return len(s)
			}
			i += j + 2
		case strings.HasPrefix(s[i:], "<!--"):
			j := strings.Index(s[i:], "-->")
			if j < 0 {
				return len(s)
			}
			i += j + 3
		default:
			return i
		}
	}
	return i
}

// scanTag reads the start tag at s[i] (which must be '<' followed by a
// name), honouring quotes in attribute values.
func scanTag(s string, i int) (startTag, bool) {
	if i >= len(s) || s[i] != '<' {
		return startTag{}, false
	}
	j := i + 1
	for j < len(s) && !isTagSpace(s[j]) && s[j] != '>' && s[j] != '/' {
		j++
	}
	t := startTag{name: s[i+1 : j]}
	if t.name == "" || strings.ContainsAny(t.name[:1], "!?/") {
		return startTag{}, false
	}
	t.local = t.name
	if k := strings.IndexByte(t.name, ':'); k >= 0 {
		t.local = t.name[k+1:]
	}
	var quote byte
	for k := j; k < len(s); k++ {
		c := s[k]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			t.attrs = s[j:k]
			t.selfClosing = k > j && s[k-1] == '/'
			if t.selfClosing {
				t.attrs = s[j : k-1]
			}
			t.end = k + 1
			return t, true
		}
	}
	return startTag{}, false
}

func isTagSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// attr returns the value of the attribute called name (no prefix) in raw.
func attr(raw, name string) string {
	for i := 0; i < len(raw); {
		k := strings.Index(raw[i:], name)
		if k < 0 {
			return ""
		}
		k += i
		i = k + len(name)
		if k > 0 && !isTagSpace(raw[k-1]) {
			continue
		}
		j := i
		for j < len(raw) && isTagSpace(raw[j]) {
			j++
		}
		if j >= len(raw) || raw[j] != '=' {
			continue
		}
		j++
		for j < len(raw) && isTagSpace(raw[j]) {
			j++
		}
		if j >= len(raw) || (raw[j] != '"' && raw[j] != '\'') {
			return ""
		}
		q := raw[j]
		end := strings.IndexByte(raw[j+1:], q)
		if end < 0 {
			return ""
		}
		return raw[j+1 : j+1+end]
	}
	return ""
}

// messageID returns the message-id of an rpc-reply, or "".
func messageID(msg string) string {
	t, ok := scanTag(msg, skipMisc(msg, 0))
	if !ok {
		return ""
	}
	return attr(t.attrs, "message-id")
}

// parseReply parses an rpc-reply.
func parseReply(msg string) (reply, error) {
	root, ok := scanTag(msg, skipMisc(msg, 0))
	if !ok || root.local != "rpc-reply" {
		return reply{}, &protocolError{fmt.Sprintf("expected an rpc-reply, got %.80q", msg)}
	}
	if root.selfClosing {
		return reply{ok: true}, nil
	}
	child, ok := scanTag(msg, skipMisc(msg, root.end))
	if ok && child.local == "data" {
		r := reply{hasData: true, ok: true}
		rest := msg[child.end:]
		if !child.selfClosing {
			endTag := "</" + child.name
			k := strings.LastIndex(msg, endTag)
			if k < child.end {
				return reply{}, &protocolError{"rpc-reply: <data> is not closed"}
			}
			r.data = msg[child.end:k]
			rest = msg[k:]
		}
		if strings.Contains(rest, "rpc-error") {
			// Errors (or warnings) after the data: parse the reply without it.
			full, err := parseReplyXML(msg[:child.end] + rest)
			if err != nil {
				return reply{}, err
			}
			r.errors, r.ok = full.errors, full.ok
		}
		return r, nil
	}
	return parseReplyXML(msg)
}

type xmlRPCError struct {
	Type     string `xml:"error-type"`
	Tag      string `xml:"error-tag"`
	Severity string `xml:"error-severity"`
	AppTag   string `xml:"error-app-tag"`
	Path     string `xml:"error-path"`
	Message  string `xml:"error-message"`
	Info     struct {
		Inner string `xml:",innerxml"`
	} `xml:"error-info"`
}

func parseReplyXML(msg string) (reply, error) {
	var x struct {
		XMLName xml.Name      `xml:"rpc-reply"`
		OK      *struct{}     `xml:"ok"`
		Errors  []xmlRPCError `xml:"rpc-error"`
		Data    *struct {
			Inner string `xml:",innerxml"`
		} `xml:"data"`
	}
	if err := xml.Unmarshal([]byte(msg), &x); err != nil {
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			return reply{}, &protocolError{fmt.Sprintf("rpc-reply is not valid XML: %v", err)}
		}
		return reply{}, &protocolError{fmt.Sprintf("rpc-reply: %v", err)}
	}
	r := reply{ok: true}
	if x.Data != nil {
		r.hasData, r.data = true, x.Data.Inner
	}
	for _, e := range x.Errors {
		ne := sdk.NetconfError{Type: strings.TrimSpace(e.Type), Tag: strings.TrimSpace(e.Tag),
			Severity: strings.TrimSpace(e.Severity), AppTag: strings.TrimSpace(e.AppTag),
			Path: strings.TrimSpace(e.Path), Message: strings.TrimSpace(e.Message), Info: strings.TrimSpace(e.Info.Inner)}
		if ne.Severity != "warning" {
			r.ok = false
		}
		r.errors = append(r.errors, ne)
	}
	return r, nil
}
