package datastore

import (
	"strconv"
	"strings"
)

// Namespaces of the modules the default datastore content uses.
const (
	InterfacesNS = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
	IPNS         = "urn:ietf:params:xml:ns:yang:ietf-ip"
	IfTypeNS     = "urn:ietf:params:xml:ns:yang:iana-if-type"
	SystemNS     = "urn:ietf:params:xml:ns:yang:ietf-system"
	RestconfNS   = "urn:ietf:params:xml:ns:yang:ietf-restconf"
)

// Range bounds an integer leaf.
type Range struct{ Min, Max int64 }

// Schema is the little the datastore knows about YANG: which elements are
// keyed lists (and their keys), which are containers, the types of some
// leaves, and the modules behind namespaces. It is matched on local names,
// which is enough for the simulated models and keeps the store generic:
// unknown elements are stored and filtered as plain XML.
type Schema struct {
	// Modules maps a YANG module name to its XML namespace.
	Modules map[string]string
	// ListKeys maps a list's element name to its key leaf names.
	ListKeys map[string][]string
	// Containers names elements that are containers even when empty.
	Containers map[string]bool
	// Booleans names boolean leaves.
	Booleans map[string]bool
	// Integers maps integer leaves to their allowed range.
	Integers map[string]Range
	// Mandatory maps an element to leaves its entries must have (beyond keys).
	Mandatory map[string][]string

	namespaces map[string]string // namespace -> module
}

// DefaultSchema describes ietf-interfaces, ietf-ip and ietf-system as far as
// the simulator uses them.
var DefaultSchema = newSchema(&Schema{
	Modules: map[string]string{
		"ietf-interfaces": InterfacesNS,
		"ietf-ip":         IPNS,
		"iana-if-type":    IfTypeNS,
		"ietf-system":     SystemNS,
		"ietf-restconf":   RestconfNS,
	},
	ListKeys: map[string][]string{
		"interface": {"name"},
		"address":   {"ip"},
		"neighbor":  {"ip"},
		"user":      {"name"},
		"server":    {"name"},
	},
	Containers: map[string]bool{
		"interfaces": true, "interfaces-state": true, "ipv4": true, "ipv6": true,
		"system": true, "clock": true, "ntp": true, "dns-resolver": true, "authentication": true,
		"statistics": true,
	},
	Booleans: map[string]bool{"enabled": true, "forwarding": true},
	Integers: map[string]Range{
		"prefix-length": {0, 128},
		"mtu":           {68, 65535},
		"if-index":      {1, 2147483647},
	},
	Mandatory: map[string][]string{"interface": {"type"}},
})

func newSchema(s *Schema) *Schema {
	s.namespaces = make(map[string]string, len(s.Modules))
	for m, ns := range s.Modules {
		s.namespaces[ns] = m
	}
	return s
}

// ModuleOf returns the module name of a namespace.
func (s *Schema) ModuleOf(ns string) (string, bool) {
	m, ok := s.namespaces[ns]
	return m, ok
}

// IsList reports whether elements named local are entries of a keyed list.
func (s *Schema) IsList(local string) bool { _, ok := s.ListKeys[local]; return ok }

// Keys returns the key leaf names of list local.
func (s *Schema) Keys(local string) []string { return s.ListKeys[local] }

// splitIdentity recognises a value in "module:identity" form.
func (s *Schema) splitIdentity(v string) (mod, id string, ok bool) {
	i := strings.IndexByte(v, ':')
	if i <= 0 || i == len(v)-1 {
		return "", "", false
	}
	if _, known := s.Modules[v[:i]]; !known {
		return "", "", false
	}
	return v[:i], v[i+1:], true
}

// canonicalIdentity rewrites "prefix:identity" to "module:identity" when the
// prefix is bound in scope to a known module's namespace.
func (s *Schema) canonicalIdentity(v string, scope map[string]string) string {
	t := strings.TrimSpace(v)
	i := strings.IndexByte(t, ':')
	if i <= 0 || strings.ContainsAny(t, " \n\t/") {
		return v
	}
	ns, ok := scope[t[:i]]
	if !ok {
		return v
	}
	if mod, ok := s.namespaces[ns]; ok {
		return mod + ":" + t[i+1:]
	}
	return v
}

// validate checks a datastore tree against the schema: list keys present and
// unique, mandatory leaves present, booleans and integers well-formed.
func (s *Schema) validate(root *Node) []*Error {
	var errs []*Error
	var walk func(n *Node, path string)
	walk = func(n *Node, path string) {
		seen := map[string]bool{}
		for _, c := range n.Children {
			p := path + "/" + c.Local
			if keys, ok := s.ListKeys[c.Local]; ok {
				id := ""
				for _, k := range keys {
					kc := c.Child("", k)
					if kc == nil {
						errs = append(errs, &Error{Type: "application", Tag: TagMissingElement, Path: p,
							Message: "list entry " + c.Local + " has no key " + k, Info: []Info{{"bad-element", k}}})
						continue
					}
					id += "\x00" + strings.TrimSpace(kc.Text)
					p += "[" + k + "='" + strings.TrimSpace(kc.Text) + "']"
				}
				if seen[c.Space+c.Local+id] {
					errs = append(errs, &Error{Type: "application", Tag: TagOperationFailed, AppTag: "data-not-unique", Path: p,
						Message: "duplicate list entry"})
				}
				seen[c.Space+c.Local+id] = true
			}
			for _, m := range s.Mandatory[c.Local] {
				if c.Child("", m) == nil {
					errs = append(errs, &Error{Type: "application", Tag: TagDataMissing, AppTag: "instance-required", Path: p,
						Message: "mandatory leaf " + m + " missing", Info: []Info{{"bad-element", m}}})
				}
			}
			if c.IsLeaf() {
				v := strings.TrimSpace(c.Text)
				if s.Booleans[c.Local] && v != "true" && v != "false" {
					errs = append(errs, &Error{Type: "application", Tag: TagInvalidValue, Path: p,
						Message: c.Local + " must be true or false, not " + strconv.Quote(v), Info: []Info{{"bad-element", c.Local}}})
				}
				if r, ok := s.Integers[c.Local]; ok {
					if i, err := strconv.ParseInt(v, 10, 64); err != nil || i < r.Min || i > r.Max {
						errs = append(errs, &Error{Type: "application", Tag: TagInvalidValue, Path: p,
							Message: c.Local + " must be an integer in " + strconv.FormatInt(r.Min, 10) + ".." + strconv.FormatInt(r.Max, 10),
							Info:    []Info{{"bad-element", c.Local}}})
					}
				}
			}
			walk(c, p)
		}
	}
	walk(root, "")
	return errs
}
