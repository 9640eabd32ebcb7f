package datastore

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// NetconfBaseNS is the namespace of NETCONF protocol elements and of the
// edit-config "operation" attribute.
const NetconfBaseNS = "urn:ietf:params:xml:ns:netconf:base:1.0"

// Node is one element of a namespace-aware XML tree. Configuration data,
// filters and whole RPC messages are Nodes.
//
// A leaf holds its value in Text. Identity values (YANG identityref) are
// held in RFC 7951 form, "module:identity", whatever prefix the XML used, so
// the same value compares equal whichever encoding it arrived in.
type Node struct {
	// Space is the namespace URI; Local the element name.
	Space, Local string
	// Text is the character data of a leaf, untrimmed.
	Text string
	// Children are the child elements in document order.
	Children []*Node
	// Attrs are the element's attributes other than namespace declarations
	// and the edit-config operation.
	Attrs []xml.Attr

	op    string            // edit-config operation given on this element
	scope map[string]string // in-scope prefix bindings, shared between elements
}

// Elem returns a new element with the given namespace, name and children.
func Elem(space, local string, children ...*Node) *Node {
	return &Node{Space: space, Local: local, Children: children}
}

// Leaf returns a new leaf element.
func Leaf(space, local, text string) *Node {
	return &Node{Space: space, Local: local, Text: text}
}

// Operation returns the edit-config operation attribute given on the element
// ("" when none).
func (n *Node) Operation() string { return n.op }

// SetOperation sets the edit-config operation of the element.
func (n *Node) SetOperation(op string) { n.op = op }

// LookupPrefix resolves an XML namespace prefix in the element's scope as it
// was parsed ("" is the default namespace).
func (n *Node) LookupPrefix(prefix string) (string, bool) {
	ns, ok := n.scope[prefix]
	return ns, ok
}

// Attr returns the value of the attribute with the given local name and no
// namespace or the given one.
func (n *Node) Attr(space, local string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name.Local == local && (a.Name.Space == space || a.Name.Space == "") {
			return a.Value, true
		}
	}
	return "", false
}

// Child returns the first child with the given name (any namespace when
// space is "").
func (n *Node) Child(space, local string) *Node {
	for _, c := range n.Children {
		if c.Local == local && (space == "" || c.Space == space) {
			return c
		}
	}
	return nil
}

// ChildText returns the text of the first child with the given name, or "".
func (n *Node) ChildText(local string) string {
	if c := n.Child("", local); c != nil {
		return c.Text
	}
	return ""
}

// IsLeaf reports whether n has no child elements.
func (n *Node) IsLeaf() bool { return len(n.Children) == 0 }

// Clone returns a deep copy of n without edit operations.
func (n *Node) Clone() *Node {
	if n == nil {
		return nil
	}
	c := &Node{Space: n.Space, Local: n.Local, Text: n.Text}
	if len(n.Children) > 0 {
		c.Children = make([]*Node, len(n.Children))
		for i, ch := range n.Children {
			c.Children[i] = ch.Clone()
		}
	}
	return c
}

func cloneAll(ns []*Node) []*Node {
	out := make([]*Node, len(ns))
	for i, n := range ns {
		out[i] = n.Clone()
	}
	return out
}

// Equal reports whether two trees have the same names, texts and children in
// the same order.
func Equal(a, b *Node) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Space != b.Space || a.Local != b.Local || len(a.Children) != len(b.Children) {
		return false
	}
	if len(a.Children) == 0 && strings.TrimSpace(a.Text) != strings.TrimSpace(b.Text) {
		return false
	}
	for i := range a.Children {
		if !Equal(a.Children[i], b.Children[i]) {
			return false
		}
	}
	return true
}

// ErrNotXML is wrapped by ParseXML errors for input that is not well-formed.
var ErrNotXML = errors.New("malformed xml")

// ParseXML parses one XML document into a tree. Whitespace-only text of
// elements with children is dropped; identity values whose prefix is bound
// to a known module's namespace are rewritten to "module:identity".
func ParseXML(data []byte) (*Node, error) {
	return parseXML(xml.NewDecoder(bytes.NewReader(data)), DefaultSchema)
}

func parseXML(dec *xml.Decoder, schema *Schema) (*Node, error) {
	var stack []*Node
	var root *Node
	scope := map[string]string{"xml": "http://www.w3.org/XML/1998/namespace"}
	var scopes []map[string]string
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			if root == nil || len(stack) > 0 {
				return nil, fmt.Errorf("%w: unexpected end of document", ErrNotXML)
			}
			return root, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotXML, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && len(stack) == 0 {
				return nil, fmt.Errorf("%w: more than one root element", ErrNotXML)
			}
			scopes = append(scopes, scope)
			n := &Node{Space: t.Name.Space, Local: t.Name.Local}
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "xmlns":
					scope = copyScope(scope, a.Name.Local, a.Value)
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					scope = copyScope(scope, "", a.Value)
				case a.Name.Space == NetconfBaseNS && a.Name.Local == "operation":
					n.op = a.Value
				default:
					n.Attrs = append(n.Attrs, a)
				}
			}
			n.scope = scope
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.Children = append(p.Children, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			scope = scopes[len(scopes)-1]
			scopes = scopes[:len(scopes)-1]
			if len(n.Children) > 0 {
				n.Text = ""
			} else {
				n.Text = schema.canonicalIdentity(n.Text, n.scope)
			}
		case xml.CharData:
			if len(stack) > 0 {
				n := stack[len(stack)-1]
				if len(n.Children) == 0 {
					n.Text += string(t)
				}
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, fmt.Errorf("%w: text outside the root element", ErrNotXML)
			}
		}
	}
}

func copyScope(s map[string]string, prefix, ns string) map[string]string {
	c := make(map[string]string, len(s)+1)
	for k, v := range s {
		c[k] = v
	}
	c[prefix] = ns
	return c
}

// AppendXML appends the XML encoding of n to b. parentNS is the default
// namespace in effect where n is written; a default namespace declaration is
// added when n's differs.
func (n *Node) AppendXML(b []byte, parentNS string) []byte {
	b = append(b, '<')
	b = append(b, n.Local...)
	if n.Space != parentNS {
		b = append(b, ` xmlns="`...)
		b = appendEscaped(b, n.Space, true)
		b = append(b, '"')
	}
	text := n.Text
	if len(n.Children) == 0 {
		if mod, id, ok := DefaultSchema.splitIdentity(text); ok {
			b = append(b, ` xmlns:`...)
			b = append(b, mod...)
			b = append(b, `="`...)
			b = appendEscaped(b, DefaultSchema.Modules[mod], true)
			b = append(b, '"')
			text = mod + ":" + id
		}
	}
	for _, a := range n.Attrs {
		if a.Name.Space != "" {
			continue // only unqualified attributes are written back
		}
		b = append(b, ' ')
		b = append(b, a.Name.Local...)
		b = append(b, `="`...)
		b = appendEscaped(b, a.Value, true)
		b = append(b, '"')
	}
	if len(n.Children) == 0 && text == "" {
		return append(b, "/>"...)
	}
	b = append(b, '>')
	if len(n.Children) == 0 {
		b = appendEscaped(b, text, false)
	}
	for _, c := range n.Children {
		b = c.AppendXML(b, n.Space)
	}
	b = append(b, "</"...)
	b = append(b, n.Local...)
	return append(b, '>')
}

// String returns the XML encoding of n.
func (n *Node) String() string { return string(n.AppendXML(nil, "")) }

// AppendXMLNodes appends the XML encoding of each node.
func AppendXMLNodes(b []byte, nodes []*Node, parentNS string) []byte {
	for _, n := range nodes {
		b = n.AppendXML(b, parentNS)
	}
	return b
}

func appendEscaped(b []byte, s string, attr bool) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\r':
			esc = "&#xD;"
		case '"':
			if !attr {
				continue
			}
			esc = "&quot;"
		case '\n', '\t':
			if !attr {
				continue
			}
			esc = fmt.Sprintf("&#x%X;", s[i])
		default:
			continue
		}
		b = append(b, s[last:i]...)
		b = append(b, esc...)
		last = i + 1
	}
	return append(b, s[last:]...)
}

// XMLString returns the XML encoding of nodes at top level.
func XMLString(nodes []*Node) string { return string(AppendXMLNodes(nil, nodes, "")) }
