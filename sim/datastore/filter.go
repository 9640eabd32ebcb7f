package datastore

import (
	"strings"
)

// Filter selects part of a datastore for get and get-config. A nil Filter
// selects everything.
type Filter interface {
	apply(root *Node, s *Schema) []*Node
}

// SubtreeFilter returns an RFC 6241 section 6 subtree filter whose top-level
// filter elements are nodes. Elements without a namespace, or in the NETCONF
// base namespace (inherited from the rpc), match any namespace. An empty
// filter selects nothing.
func SubtreeFilter(nodes []*Node) Filter { return subtreeFilter(nodes) }

type subtreeFilter []*Node

func (f subtreeFilter) apply(root *Node, s *Schema) []*Node {
	if len(f) == 0 {
		return nil
	}
	r := s.filterNode(root, &Node{Children: f})
	if r == nil {
		return nil
	}
	return r.Children
}

func filterNameMatch(d, f *Node) bool {
	return d.Local == f.Local && (f.Space == "" || f.Space == NetconfBaseNS || f.Space == d.Space)
}

func isContentMatch(f *Node) bool {
	return f.IsLeaf() && strings.TrimSpace(f.Text) != ""
}

// filterNode filters data node d by filter node f whose name already matched.
// It returns nil when d is not selected.
func (s *Schema) filterNode(d, f *Node) *Node {
	var cms, others []*Node
	for _, c := range f.Children {
		if isContentMatch(c) {
			cms = append(cms, c)
		} else {
			others = append(others, c)
		}
	}
	for _, cm := range cms {
		want := strings.TrimSpace(cm.Text)
		found := false
		for _, dc := range d.Children {
			if filterNameMatch(dc, cm) && dc.IsLeaf() && strings.TrimSpace(dc.Text) == want {
				found = true
				break
			}
		}
		if !found {
			return nil
		}
	}
	if len(others) == 0 {
		// All content match nodes are true and nothing else narrows the
		// selection: the whole containing node is selected.
		return d.Clone()
	}
	out := &Node{Space: d.Space, Local: d.Local}
	for _, dc := range d.Children {
		var acc *Node
		add := func(n *Node) {
			if acc == nil {
				acc = n
			} else {
				s.merge(acc, n)
			}
		}
		for _, cm := range cms {
			if filterNameMatch(dc, cm) {
				add(dc.Clone())
			}
		}
		for _, fc := range others {
			if !filterNameMatch(dc, fc) {
				continue
			}
			if fc.IsLeaf() {
				add(dc.Clone()) // selection node
			} else if r := s.filterNode(dc, fc); r != nil {
				add(r)
			}
		}
		if acc != nil {
			out.Children = append(out.Children, acc)
		}
	}
	if len(cms) == 0 && len(out.Children) == 0 {
		return nil
	}
	return out
}

// XPathFilter returns a filter for the :xpath capability supporting the
// subset clients use for configuration: absolute location paths of child
// steps ("/if:interfaces/if:interface/if:name"), "*" name tests, predicates
// comparing a child leaf to a string ("[if:name='eth0']"), and unions ("|").
// ns resolves prefixes; an unresolvable prefix matches on local name only.
// The result holds every selected node with its ancestors and, for list
// entries on the way, their keys.
func XPathFilter(expr string, ns func(prefix string) (string, bool)) (Filter, error) {
	var paths [][]xstep
	for _, part := range splitTop(expr, '|') {
		steps, err := parseXPath(strings.TrimSpace(part), ns)
		if err != nil {
			return nil, err
		}
		paths = append(paths, steps)
	}
	return xpathFilter(paths), nil
}

type xpred struct{ space, local, value string }

type xstep struct {
	space, local string // local "*" matches any
	preds        []xpred
}

type xpathFilter [][]xstep

func xpathErr(msg string) *Error {
	return &Error{Type: "protocol", Tag: TagInvalidValue, Message: "xpath filter: " + msg, Info: []Info{{"bad-attribute", "select"}}}
}

// splitTop splits s at sep outside brackets and quotes.
func splitTop(s string, sep byte) []string {
	var parts []string
	depth, start := 0, 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '[':
			depth++
		case c == ']':
			depth--
		case c == sep && depth == 0:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

func resolveQName(q string, ns func(string) (string, bool)) (string, string) {
	q = strings.TrimSpace(q)
	if i := strings.IndexByte(q, ':'); i > 0 {
		if ns != nil {
			if uri, ok := ns(q[:i]); ok {
				return uri, q[i+1:]
			}
		}
		return "", q[i+1:]
	}
	return "", q
}

func parseXPath(expr string, ns func(string) (string, bool)) ([]xstep, error) {
	if !strings.HasPrefix(expr, "/") {
		return nil, xpathErr("only absolute paths are supported: " + expr)
	}
	if strings.Contains(expr, "//") {
		return nil, xpathErr("descendant axis is not supported: " + expr)
	}
	var steps []xstep
	for _, raw := range splitTop(expr[1:], '/') {
		if raw == "" {
			if len(steps) == 0 && expr == "/" {
				break
			}
			return nil, xpathErr("empty step in " + expr)
		}
		name, rest, _ := strings.Cut(raw, "[")
		if rest != "" {
			rest = "[" + rest
		}
		var st xstep
		st.space, st.local = resolveQName(name, ns)
		if st.local == "" || strings.ContainsAny(st.local, "()@=") {
			return nil, xpathErr("unsupported step " + raw)
		}
		for rest != "" {
			end := strings.IndexByte(rest, ']')
			if rest[0] != '[' || end < 0 {
				return nil, xpathErr("bad predicate in " + raw)
			}
			lhs, rhs, ok := strings.Cut(rest[1:end], "=")
			rhs = strings.TrimSpace(rhs)
			if !ok || len(rhs) < 2 || (rhs[0] != '\'' && rhs[0] != '"') || rhs[len(rhs)-1] != rhs[0] {
				return nil, xpathErr("unsupported predicate " + rest[:end+1])
			}
			var p xpred
			p.space, p.local = resolveQName(lhs, ns)
			p.value = rhs[1 : len(rhs)-1]
			st.preds = append(st.preds, p)
			rest = rest[end+1:]
		}
		steps = append(steps, st)
	}
	return steps, nil
}

func (st xstep) matches(d *Node) bool {
	if st.local != "*" && d.Local != st.local {
		return false
	}
	if st.space != "" && d.Space != st.space {
		return false
	}
	for _, p := range st.preds {
		found := false
		for _, c := range d.Children {
			if c.Local == p.local && (p.space == "" || c.Space == p.space) && strings.TrimSpace(c.Text) == p.value {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func (f xpathFilter) apply(root *Node, s *Schema) []*Node {
	out := &Node{}
	for _, steps := range f {
		if len(steps) == 0 {
			return cloneAll(root.Children)
		}
		if r := s.xselect(root, steps); r != nil {
			s.merge(out, r)
		}
	}
	return out.Children
}

func (s *Schema) xselect(d *Node, steps []xstep) *Node {
	var out *Node
	for _, c := range d.Children {
		if !steps[0].matches(c) {
			continue
		}
		var r *Node
		if len(steps) == 1 {
			r = c.Clone()
		} else if r = s.xselect(c, steps[1:]); r != nil {
			var keys []*Node
			for _, k := range s.ListKeys[c.Local] {
				if kc := c.Child("", k); kc != nil && r.Child(kc.Space, k) == nil {
					keys = append(keys, kc.Clone())
				}
			}
			r.Children = append(keys, r.Children...)
		}
		if r == nil {
			continue
		}
		if out == nil {
			out = &Node{Space: d.Space, Local: d.Local}
		}
		out.Children = append(out.Children, r)
	}
	return out
}
