package datastore

import (
	"slices"
	"strings"
)

// Edit operations (RFC 6241 section 7.2).
const (
	OpMerge   = "merge"
	OpReplace = "replace"
	OpCreate  = "create"
	OpDelete  = "delete"
	OpRemove  = "remove"
	OpNone    = "none"
)

// Test options of edit-config.
const (
	TestThenSet = "test-then-set"
	Set         = "set"
	TestOnly    = "test-only"
)

// Error options of edit-config.
const (
	StopOnError     = "stop-on-error"
	ContinueOnError = "continue-on-error"
	RollbackOnError = "rollback-on-error"
)

// EditOptions are the parameters of edit-config besides target and config.
type EditOptions struct {
	// DefaultOperation is merge (when empty), replace or none.
	DefaultOperation string
	// TestOption is test-then-set (when empty), set or test-only.
	TestOption string
	// ErrorOption is stop-on-error (when empty), continue-on-error or
	// rollback-on-error.
	ErrorOption string
	// Session is the NETCONF session id making the edit, 0 for RESTCONF or
	// other non-NETCONF writers; it is checked against locks.
	Session uint32
}

// sameEntry reports whether data node d is the instance that config node c
// addresses: same name, same namespace (c without one matches any), same
// key values for list entries.
func (s *Schema) sameEntry(d, c *Node) bool {
	if d.Local != c.Local || (c.Space != "" && d.Space != c.Space) {
		return false
	}
	for _, k := range s.ListKeys[c.Local] {
		ck, dk := c.Child("", k), d.Child("", k)
		if ck == nil || dk == nil {
			return ck == dk
		}
		if strings.TrimSpace(ck.Text) != strings.TrimSpace(dk.Text) {
			return false
		}
	}
	return true
}

func (s *Schema) find(parent, c *Node) int {
	for i, d := range parent.Children {
		if s.sameEntry(d, c) {
			return i
		}
	}
	return -1
}

type editor struct {
	schema  *Schema
	stopper bool // stop at the first error
	errs    []*Error
}

func validOp(op string) bool {
	switch op {
	case OpMerge, OpReplace, OpCreate, OpDelete, OpRemove, OpNone:
		return true
	}
	return false
}

// children applies config nodes under parent; it returns false when the
// editor must stop.
func (e *editor) children(parent *Node, cfg []*Node, inherited, path string) bool {
	for _, c := range cfg {
		if !e.node(parent, c, inherited, path) {
			return false
		}
	}
	return true
}

func (e *editor) fail(err *Error) bool {
	e.errs = append(e.errs, err)
	return !e.stopper
}

func entryPath(schema *Schema, path string, c *Node) string {
	p := path + "/" + c.Local
	for _, k := range schema.ListKeys[c.Local] {
		if kc := c.Child("", k); kc != nil {
			p += "[" + k + "='" + strings.TrimSpace(kc.Text) + "']"
		}
	}
	return p
}

func (e *editor) node(parent, c *Node, inherited, path string) bool {
	op := inherited
	if c.op != "" {
		op = c.op
		if !validOp(op) {
			return e.fail(&Error{Type: "protocol", Tag: TagBadAttribute, Path: path + "/" + c.Local,
				Message: "invalid operation " + op, Info: []Info{{"bad-attribute", "operation"}, {"bad-element", c.Local}}})
		}
	}
	p := entryPath(e.schema, path, c)
	for _, k := range e.schema.ListKeys[c.Local] {
		if c.Child("", k) == nil && op != OpNone {
			return e.fail(&Error{Type: "protocol", Tag: TagMissingElement, Path: p,
				Message: "list entry " + c.Local + " lacks key " + k, Info: []Info{{"bad-element", k}}})
		}
	}
	i := e.schema.find(parent, c)
	var existing *Node
	if i >= 0 {
		existing = parent.Children[i]
	}
	switch op {
	case OpCreate:
		if existing != nil {
			return e.fail(&Error{Type: "application", Tag: TagDataExists, Path: p, Message: "data already exists"})
		}
		parent.Children = append(parent.Children, e.clean(c))
	case OpReplace:
		if existing != nil {
			parent.Children[i] = e.clean(c)
		} else {
			parent.Children = append(parent.Children, e.clean(c))
		}
	case OpDelete, OpRemove:
		if existing == nil {
			if op == OpDelete {
				return e.fail(&Error{Type: "application", Tag: TagDataMissing, Path: p, Message: "data does not exist"})
			}
			return true
		}
		parent.Children = slices.Delete(parent.Children, i, i+1)
	case OpMerge:
		if existing == nil {
			if c.IsLeaf() {
				parent.Children = append(parent.Children, e.clean(c))
				return true
			}
			existing = &Node{Space: c.Space, Local: c.Local}
			parent.Children = append(parent.Children, existing)
			ok := e.children(existing, e.keysFirst(c), OpMerge, p)
			return ok
		}
		if c.IsLeaf() {
			if existing.IsLeaf() || strings.TrimSpace(c.Text) != "" {
				existing.Text = c.Text
				existing.Children = nil
			}
			return true
		}
		return e.children(existing, c.Children, OpMerge, p)
	case OpNone:
		if c.IsLeaf() {
			return true
		}
		if existing == nil {
			// The shell carries the entry's keys so that what a nested
			// operation creates in it is a well-formed list entry.
			shell := &Node{Space: c.Space, Local: c.Local}
			for _, k := range e.schema.ListKeys[c.Local] {
				if kc := c.Child("", k); kc != nil {
					shell.Children = append(shell.Children, kc.Clone())
				}
			}
			ok := e.children(shell, e.keysFirst(c), OpNone, p)
			if createsData(c) {
				parent.Children = append(parent.Children, shell)
			}
			return ok
		}
		return e.children(existing, c.Children, OpNone, p)
	}
	return true
}

// keysFirst returns c's children with list keys first, so entries created by
// a merge are well-formed whatever order the client used.
func (e *editor) keysFirst(c *Node) []*Node {
	keys := e.schema.ListKeys[c.Local]
	if len(keys) == 0 {
		return c.Children
	}
	out := make([]*Node, 0, len(c.Children))
	for _, k := range keys {
		if kc := c.Child("", k); kc != nil {
			out = append(out, kc)
		}
	}
	for _, ch := range c.Children {
		if !slices.Contains(keys, ch.Local) {
			out = append(out, ch)
		}
	}
	return out
}

// createsData reports whether a subtree under operation "none" asks for data
// to be written somewhere below, so its ancestors must exist.
func createsData(c *Node) bool {
	for _, ch := range c.Children {
		switch ch.op {
		case OpMerge, OpReplace, OpCreate:
			return true
		case OpDelete, OpRemove:
			continue
		}
		if createsData(ch) {
			return true
		}
	}
	return false
}

// clean copies new content, dropping parts marked delete or remove (there is
// nothing under a new node to delete) and putting list keys first.
func (e *editor) clean(c *Node) *Node {
	n := &Node{Space: c.Space, Local: c.Local, Text: c.Text}
	if len(c.Children) > 0 {
		n.Text = ""
		for _, ch := range e.keysFirst(c) {
			if ch.op == OpDelete || ch.op == OpRemove {
				continue
			}
			n.Children = append(n.Children, e.clean(ch))
		}
	}
	return n
}

// merge merges src into dst (same instance) without operations; used to
// union filter results.
func (s *Schema) merge(dst, src *Node) {
	if src.IsLeaf() {
		if dst.IsLeaf() {
			dst.Text = src.Text
		}
		return
	}
	for _, c := range src.Children {
		if i := s.find(dst, c); i >= 0 {
			s.merge(dst.Children[i], c)
		} else {
			dst.Children = append(dst.Children, c)
		}
	}
}
