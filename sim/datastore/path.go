package datastore

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// PathElem is one step of a data resource path (RESTCONF's
// "ietf-interfaces:interfaces/interface=eth0"): an element and, for a list
// entry, its key values in schema key order.
type PathElem struct {
	Space, Local string
	Keys         []string
}

// Path addresses a data node from the datastore root; empty is the root.
type Path []PathElem

func (p Path) String() string {
	var b strings.Builder
	for _, e := range p {
		b.WriteString("/")
		b.WriteString(e.Local)
		for i, k := range DefaultSchema.Keys(e.Local) {
			if i < len(e.Keys) {
				b.WriteString("[" + k + "='" + e.Keys[i] + "']")
			}
		}
	}
	return b.String()
}

// selector builds the config node addressing path element e.
func (s *Schema) selector(e PathElem, path Path) (*Node, error) {
	keys := s.ListKeys[e.Local]
	if len(e.Keys) != len(keys) {
		return nil, &Error{Type: "protocol", Tag: TagInvalidValue, Path: path.String(),
			Message: "list " + e.Local + " needs " + strconv.Itoa(len(keys)) + " key value(s), got " + strconv.Itoa(len(e.Keys))}
	}
	n := &Node{Space: e.Space, Local: e.Local}
	for i, k := range keys {
		n.Children = append(n.Children, Leaf(e.Space, k, e.Keys[i]))
	}
	return n, nil
}

func (s *Schema) lookup(root *Node, p Path) (*Node, error) {
	n := root
	for i, e := range p {
		sel, err := s.selector(e, p[:i+1])
		if err != nil {
			return nil, err
		}
		j := s.find(n, sel)
		if j < 0 {
			return nil, &Error{Type: "application", Tag: TagDataMissing, Path: p[:i+1].String(), Message: "resource does not exist"}
		}
		n = n.Children[j]
	}
	return n, nil
}

// GetPath returns a copy of the node at p in ds (the root, named "data",
// for an empty path), or a data-missing *Error.
func (s *Store) GetPath(ds Datastore, p Path) (*Node, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	root, ok := s.roots[ds]
	if !ok {
		return nil, protocolErr(TagInvalidValue, "unknown datastore "+string(ds))
	}
	n, err := s.schema.lookup(root, p)
	if err != nil {
		return nil, err
	}
	return n.Clone(), nil
}

// EditPath edits the node at p in ds, as a RESTCONF method does:
//   - OpReplace (PUT): body, one node naming p's last element with the same
//     keys, replaces or creates it; at the root, body replaces everything.
//   - OpMerge (PATCH): body merges into the existing node at p.
//   - OpCreate (POST): body nodes are created as children of the existing
//     node at p; data-exists if one is there.
//   - OpDelete (DELETE): the node at p is deleted; data-missing if absent.
//
// created reports whether the node did not exist before (PUT, POST).
func (s *Store) EditPath(ds Datastore, p Path, op string, body []*Node, session uint32) (created bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	root, ok := s.roots[ds]
	if !ok {
		return false, protocolErr(TagInvalidValue, "unknown datastore "+string(ds))
	}
	_, lookErr := s.schema.lookup(root, p)
	exists := lookErr == nil
	if lookErr != nil && AsErrors(lookErr)[0].Tag != TagDataMissing {
		return false, lookErr
	}
	if len(p) == 0 {
		switch op {
		case OpReplace:
			return false, s.editLocked(ds, body, EditOptions{DefaultOperation: OpReplace, Session: session})
		case OpMerge:
			return false, s.editLocked(ds, body, EditOptions{Session: session})
		case OpCreate:
			for _, b := range body {
				b.op = OpCreate
			}
			return true, s.editLocked(ds, body, EditOptions{DefaultOperation: OpNone, Session: session})
		default:
			return false, protocolErr(TagOperationNotSupported, "cannot delete the datastore root")
		}
	}
	if (op == OpMerge || op == OpCreate || op == OpDelete) && !exists {
		return false, lookErr
	}
	// Build <config> addressing p: ancestors carry only their keys.
	chain := make([]*Node, len(p))
	for i, e := range p {
		if chain[i], err = s.schema.selector(e, p[:i+1]); err != nil {
			return false, err
		}
		if i > 0 {
			chain[i-1].Children = append(chain[i-1].Children, chain[i])
		}
	}
	last := chain[len(chain)-1]
	switch op {
	case OpReplace, OpMerge:
		if len(body) != 1 || !s.schema.sameEntry(body[0], last) || body[0].Local != last.Local {
			return false, &Error{Type: "protocol", Tag: TagInvalidValue, Path: p.String(),
				Message: "the body must hold exactly the target resource " + last.Local + ", with the keys of the URI"}
		}
		body[0].op = op
		if len(chain) == 1 {
			chain[0] = body[0]
		} else {
			parent := chain[len(chain)-2]
			parent.Children[len(parent.Children)-1] = body[0]
		}
	case OpCreate:
		for _, b := range body {
			b.op = OpCreate
		}
		last.Children = append(last.Children, body...)
	case OpDelete:
		last.op = OpDelete
	default:
		return false, protocolErr(TagOperationNotSupported, "unsupported operation "+op)
	}
	err = s.editLocked(ds, chain[:1], EditOptions{DefaultOperation: OpNone, ErrorOption: RollbackOnError, Session: session})
	return !exists || op == OpCreate, err
}

// WriteConfig writes the XML of the top-level elements of ds selected by f
// to w and returns the bytes written. When that is less than minSize it adds
// synthetic interface entries ("pad-0000001"...) to the ietf-interfaces
// container until at least minSize bytes are written: a reply of any size
// (64 MiB and more) is streamed without building it in memory.
func (s *Store) WriteConfig(w io.Writer, ds Datastore, f Filter, minSize int) (int64, error) {
	nodes, err := s.GetConfig(ds, f)
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	var n int64
	var buf []byte
	var werr error
	write := func(b []byte) {
		if werr != nil {
			return
		}
		var nn int
		nn, werr = bw.Write(b)
		n += int64(nn)
	}
	if minSize <= 0 {
		for _, node := range nodes {
			buf = node.AppendXML(buf[:0], "")
			write(buf)
		}
		return n, bw.Flush()
	}
	var ifs *Node
	var tail []byte
	for _, node := range nodes {
		if ifs == nil && node.Space == InterfacesNS && node.Local == "interfaces" {
			ifs = node
			continue
		}
		tail = node.AppendXML(tail, "")
	}
	if ifs == nil {
		ifs = Elem(InterfacesNS, "interfaces")
	}
	write([]byte(`<interfaces xmlns="` + InterfacesNS + `">`))
	for _, c := range ifs.Children {
		buf = c.AppendXML(buf[:0], InterfacesNS)
		write(buf)
	}
	const closing = "</interfaces>"
	for i := 1; werr == nil && n+int64(len(closing)+len(tail)) < int64(minSize); i++ {
		buf = append(buf[:0], "<interface><name>pad-"...)
		num := strconv.Itoa(i)
		for range 7 - len(num) {
			buf = append(buf, '0')
		}
		buf = append(buf, num...)
		buf = append(buf, `</name><description>synthetic interface padding the reply</description>`+
			`<type xmlns:ianaift="`+IfTypeNS+`">ianaift:ethernetCsmacd</type><enabled>false</enabled></interface>`...)
		write(buf)
	}
	write([]byte(closing))
	write(tail)
	if werr != nil {
		return n, werr
	}
	return n, bw.Flush()
}
