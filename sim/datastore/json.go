package datastore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// AppendJSON appends the RFC 7951 JSON encoding of nodes as the members of
// one object: names are qualified with their module where the namespace
// differs from parentNS ("ietf-interfaces:interfaces" at top level, with
// parentNS ""), list entries and repeated leaves become arrays, booleans and
// integers of known leaves are JSON literals.
func (s *Schema) AppendJSON(b []byte, nodes []*Node, parentNS string) []byte {
	b = append(b, '{')
	done := make([]bool, len(nodes))
	first := true
	for i, n := range nodes {
		if done[i] {
			continue
		}
		var group []*Node
		for j := i; j < len(nodes); j++ {
			if !done[j] && nodes[j].Local == n.Local && nodes[j].Space == n.Space {
				group = append(group, nodes[j])
				done[j] = true
			}
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		name := n.Local
		if n.Space != parentNS {
			mod, ok := s.ModuleOf(n.Space)
			if !ok {
				mod = n.Space // unknown namespace: still unambiguous
			}
			name = mod + ":" + n.Local
		}
		b = strconv.AppendQuote(b, name)
		b = append(b, ':')
		if s.IsList(n.Local) || len(group) > 1 {
			b = append(b, '[')
			for k, g := range group {
				if k > 0 {
					b = append(b, ',')
				}
				b = s.appendJSONValue(b, g)
			}
			b = append(b, ']')
		} else {
			b = s.appendJSONValue(b, n)
		}
	}
	return append(b, '}')
}

func (s *Schema) appendJSONValue(b []byte, n *Node) []byte {
	if len(n.Children) > 0 || s.Containers[n.Local] || s.IsList(n.Local) {
		return s.AppendJSON(b, n.Children, n.Space)
	}
	v := strings.TrimSpace(n.Text)
	if s.Booleans[n.Local] && (v == "true" || v == "false") {
		return append(b, v...)
	}
	if _, ok := s.Integers[n.Local]; ok {
		if _, err := strconv.ParseInt(v, 10, 32); err == nil {
			return append(b, v...)
		}
	}
	enc, _ := json.Marshal(n.Text)
	return append(b, enc...)
}

// ParseJSON parses an RFC 7951 JSON object into elements. Member names
// without a module prefix take parentNS; at top level (parentNS "") they
// must be qualified. Member order is kept.
func (s *Schema) ParseJSON(data []byte, parentNS string) ([]*Node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	nodes, err := s.parseObject(dec, parentNS)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, jsonErr("trailing data after the JSON object")
	}
	return nodes, nil
}

func jsonErr(msg string) *Error {
	return &Error{Type: "protocol", Tag: TagMalformedMessage, Message: "invalid JSON: " + msg}
}

func (s *Schema) parseObject(dec *json.Decoder, parentNS string) ([]*Node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonErr(err.Error())
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, jsonErr("expected an object")
	}
	var out []*Node
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, jsonErr(err.Error())
		}
		key := tok.(string)
		ns := parentNS
		local := key
		if mod, name, ok := strings.Cut(key, ":"); ok {
			uri, known := s.Modules[mod]
			if !known {
				return nil, &Error{Type: "application", Tag: TagUnknownNamespace, Message: "unknown module " + strconv.Quote(mod),
					Info: []Info{{"bad-element", key}}}
			}
			ns, local = uri, name
		} else if parentNS == "" {
			return nil, &Error{Type: "protocol", Tag: TagMalformedMessage, Message: "top-level member " + strconv.Quote(key) + " lacks a module name"}
		}
		nodes, err := s.parseValue(dec, ns, local)
		if err != nil {
			return nil, err
		}
		out = append(out, nodes...)
	}
	if _, err := dec.Token(); err != nil {
		return nil, jsonErr(err.Error())
	}
	return out, nil
}

// parseValue reads the value of member local; arrays yield one node per item.
func (s *Schema) parseValue(dec *json.Decoder, ns, local string) ([]*Node, error) {
	if !dec.More() {
		return nil, jsonErr("missing value for " + local)
	}
	// Peek through the decoder by reading one token and dispatching.
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonErr(err.Error())
	}
	return s.valueFromToken(dec, tok, ns, local, true)
}

func (s *Schema) valueFromToken(dec *json.Decoder, tok json.Token, ns, local string, arrayOK bool) ([]*Node, error) {
	n := &Node{Space: ns, Local: local}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, jsonErr(err.Error())
				}
				key := kt.(string)
				cns, clocal := ns, key
				if mod, name, ok := strings.Cut(key, ":"); ok {
					uri, known := s.Modules[mod]
					if !known {
						return nil, &Error{Type: "application", Tag: TagUnknownNamespace, Message: "unknown module " + strconv.Quote(mod),
							Info: []Info{{"bad-element", key}}}
					}
					cns, clocal = uri, name
				}
				kids, err := s.parseValue(dec, cns, clocal)
				if err != nil {
					return nil, err
				}
				n.Children = append(n.Children, kids...)
			}
			if _, err := dec.Token(); err != nil {
				return nil, jsonErr(err.Error())
			}
		case '[':
			if !arrayOK {
				return nil, jsonErr("nested arrays for " + local)
			}
			var out []*Node
			for dec.More() {
				it, err := dec.Token()
				if err != nil {
					return nil, jsonErr(err.Error())
				}
				items, err := s.valueFromToken(dec, it, ns, local, false)
				if err != nil {
					return nil, err
				}
				out = append(out, items...)
			}
			if _, err := dec.Token(); err != nil {
				return nil, jsonErr(err.Error())
			}
			return out, nil
		default:
			return nil, jsonErr(fmt.Sprintf("unexpected %v", t))
		}
	case string:
		n.Text = t
	case json.Number:
		n.Text = t.String()
	case bool:
		n.Text = strconv.FormatBool(t)
	case nil:
		// [null] encodes a leaf of type empty.
	}
	return []*Node{n}, nil
}
