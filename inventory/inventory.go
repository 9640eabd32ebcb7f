package inventory

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Inventory is a loaded inventory: hosts in file order, with their groups and
// defaults resolved.
type Inventory struct {
	// Source is the directory or file the inventory was loaded from.
	Source string

	hosts    []*Host
	byName   map[string]*Host
	groups   map[string]*element
	defaults *element
	opts     Options

	warnMu sync.Mutex
	warned map[string]bool
}

// Host is one inventory host with its fields resolved through its groups and
// the defaults. Credentials are not here: Device reads them, from the
// environment where the inventory says so.
type Host struct {
	Name     string
	Hostname string // the name when no level sets it
	Port     int    // 0 when no level sets it
	Platform string
	// Groups are the host's own groups as written; AllGroups adds their
	// ancestors.
	Groups []string
	// Data is the host's data merged with its groups' and the defaults'.
	Data map[string]any

	el    *element
	chain []*element // host, groups depth first, defaults
}

// AllGroups returns every group the host belongs to, directly or through
// other groups, in resolution order.
func (h *Host) AllGroups() []string {
	var gs []string
	for _, e := range h.chain {
		if e.kind == kindGroup {
			gs = append(gs, e.name)
		}
	}
	return gs
}

// InGroup reports whether the host belongs to group g, directly or through
// other groups.
func (h *Host) InGroup(g string) bool { return slices.Contains(h.AllGroups(), g) }

// Options tune loading.
type Options struct {
	// LookupEnv reads the variables named by *_env fields (default
	// os.LookupEnv).
	LookupEnv func(string) (string, bool)
	// Warn receives non-fatal findings, such as extras that mean nothing to
	// netyard; nil discards them.
	Warn func(msg string)
}

// Load reads the inventory at path: a SimpleInventory directory or a single
// YAML file (see the package documentation).
func Load(path string) (*Inventory, error) { return Options{}.Load(path) }

// Load reads the inventory at path with these options.
func (o Options) Load(path string) (*Inventory, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, &Error{File: path, Err: unwrapPathError(err)}
	}
	if !fi.IsDir() {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, &Error{File: path, Err: unwrapPathError(err)}
		}
		inv, err := o.parseSingle(path, data)
		if inv != nil {
			inv.Source = path
		}
		return inv, err
	}
	var parts [3]part
	for i, base := range []string{"hosts", "groups", "defaults"} {
		parts[i].file = filepath.Join(path, base+".yaml")
		data, err := os.ReadFile(parts[i].file)
		if errors.Is(err, fs.ErrNotExist) {
			alt := filepath.Join(path, base+".yml")
			if d, e := os.ReadFile(alt); e == nil || !errors.Is(e, fs.ErrNotExist) {
				parts[i].file, data, err = alt, d, e
			}
		}
		switch {
		case err == nil:
			parts[i].data, parts[i].present = data, true
		case errors.Is(err, fs.ErrNotExist) && i > 0:
			// groups.yaml and defaults.yaml are optional, as in Nornir.
		case errors.Is(err, fs.ErrNotExist):
			return nil, &Error{File: parts[i].file, Err: fmt.Errorf("a SimpleInventory directory needs hosts.yaml")}
		default:
			return nil, &Error{File: parts[i].file, Err: unwrapPathError(err)}
		}
	}
	inv, err := o.parseParts(parts[0], parts[1], parts[2])
	if inv != nil {
		inv.Source = path
	}
	return inv, err
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// part is one file's content.
type part struct {
	file    string
	data    []byte
	present bool
}

// Hosts returns every host in file order.
func (inv *Inventory) Hosts() []*Host { return slices.Clone(inv.hosts) }

// Host returns the host called name.
func (inv *Inventory) Host(name string) (*Host, bool) {
	h, ok := inv.byName[name]
	return h, ok
}

// Groups returns the names of every group, sorted.
func (inv *Inventory) Groups() []string {
	names := make([]string, 0, len(inv.groups))
	for n := range inv.groups {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// element kinds.
const (
	kindHost     = "host"
	kindGroup    = "group"
	kindDefaults = "defaults"
)

// element is one host, group or the defaults, as written.
type element struct {
	kind   string
	name   string
	file   string
	line   int
	attrs  map[string]value // hostname, port, username, password, platform
	groups []string
	data   map[string]any
	conn   map[string]*connEntry
}

// connEntry is one connection_options entry as written.
type connEntry struct {
	attrs  map[string]value
	extras map[string]value // a nil v without env: removes the key
}

// value is a field's value, or the environment variable it comes from.
type value struct {
	v     any    // string, int, or any YAML value in extras
	env   string // variable name, when written as <field>_env
	field string // as written, for errors: "password_env"
	el    *element
}

func (e *element) errorf(field string, format string, args ...any) *Error {
	err := &Error{File: e.file, Line: e.line, Field: field, Err: fmt.Errorf(format, args...)}
	switch e.kind {
	case kindHost:
		err.Host = e.name
	case kindGroup:
		err.Group = e.name
	default:
		err.Group = kindDefaults
	}
	return err
}

// parseSingle reads the one-file format.
func (o Options) parseSingle(file string, data []byte) (*Inventory, error) {
	root, err := topMapping(file, data)
	if err != nil {
		return nil, err
	}
	var hosts, groups, defaults *yaml.Node
	var errs []error
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], deref(root.Content[i+1])
		if seen[k.Value] {
			errs = append(errs, &Error{File: file, Line: k.Line, Field: k.Value, Err: errors.New("set twice")})
			continue
		}
		seen[k.Value] = true
		switch k.Value {
		case "hosts":
			hosts = v
		case "groups":
			groups = v
		case "defaults":
			defaults = v
		default:
			errs = append(errs, &Error{File: file, Line: k.Line, Field: k.Value,
				Err: errors.New("unknown top-level key (expected hosts, groups, defaults)")})
		}
	}
	if len(errs) > 0 {
		return nil, join(errs)
	}
	inv := o.newInventory()
	errs = append(errs, inv.addDefaults(file, defaults)...)
	errs = append(errs, inv.addEntries(file, groups, kindGroup)...)
	errs = append(errs, inv.addEntries(file, hosts, kindHost)...)
	if len(errs) > 0 {
		return nil, join(errs)
	}
	return inv, inv.resolve()
}

// parseParts reads the three SimpleInventory files.
func (o Options) parseParts(hosts, groups, defaults part) (*Inventory, error) {
	inv := o.newInventory()
	var errs []error
	for _, p := range []struct {
		part
		kind string
	}{{defaults, kindDefaults}, {groups, kindGroup}, {hosts, kindHost}} {
		if !p.present {
			continue
		}
		root, err := topMapping(p.file, p.data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if p.kind == kindDefaults {
			errs = append(errs, inv.addDefaults(p.file, root)...)
		} else {
			errs = append(errs, inv.addEntries(p.file, root, p.kind)...)
		}
	}
	if len(errs) > 0 {
		return nil, join(errs)
	}
	return inv, inv.resolve()
}

func (o Options) newInventory() *Inventory {
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
	if o.Warn == nil {
		o.Warn = func(string) {}
	}
	return &Inventory{
		byName:   map[string]*Host{},
		groups:   map[string]*element{},
		defaults: &element{kind: kindDefaults, name: kindDefaults},
		opts:     o,
	}
}

// topMapping parses data and returns its top-level mapping (an empty one for
// an empty document).
func topMapping(file string, data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &Error{File: file, Err: fmt.Errorf("not valid YAML: %w", err)}
	}
	if doc.Kind == 0 {
		return &yaml.Node{Kind: yaml.MappingNode}, nil
	}
	n := &doc
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return &yaml.Node{Kind: yaml.MappingNode}, nil
		}
		n = n.Content[0]
	}
	n = deref(n)
	if isNull(n) {
		return &yaml.Node{Kind: yaml.MappingNode}, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, &Error{File: file, Line: n.Line, Err: fmt.Errorf("expected a mapping at the top level, got %s", nodeKind(n))}
	}
	return n, nil
}

// deref follows aliases (bounded: yaml.v3 refuses self-containing anchors,
// the bound is for safety).
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 64; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

func (inv *Inventory) addDefaults(file string, n *yaml.Node) []error {
	if isNull(n) {
		return nil
	}
	el := &element{kind: kindDefaults, name: kindDefaults, file: file, line: n.Line}
	errs := el.parse(n)
	inv.defaults = el
	return errs
}

// addEntries adds the hosts or groups of a name → entry mapping.
func (inv *Inventory) addEntries(file string, n *yaml.Node, kind string) []error {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return []error{&Error{File: file, Line: n.Line, Err: fmt.Errorf("%ss: expected a mapping of name to %s, got %s", kind, kind, nodeKind(n))}}
	}
	var errs []error
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode || k.Value == "" || k.Value == "<<" {
			errs = append(errs, &Error{File: file, Line: k.Line, Err: fmt.Errorf("expected a %s name, got %s", kind, nodeKind(k))})
			continue
		}
		el := &element{kind: kind, name: k.Value, file: file, line: k.Line}
		switch kind {
		case kindHost:
			if prev, dup := inv.byName[el.name]; dup {
				errs = append(errs, el.errorf("", "defined twice (first at line %d)", prev.el.line))
				continue
			}
			errs = append(errs, el.parse(v)...)
			h := &Host{Name: el.name, el: el}
			inv.hosts = append(inv.hosts, h)
			inv.byName[el.name] = h
		case kindGroup:
			if prev, dup := inv.groups[el.name]; dup {
				errs = append(errs, el.errorf("", "defined twice (first at line %d)", prev.line))
				continue
			}
			errs = append(errs, el.parse(v)...)
			inv.groups[el.name] = el
		}
	}
	return errs
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// stringFields are the plain string fields of an entry or a connection entry;
// username and password may also be given as <field>_env.
var stringFields = []string{"hostname", "username", "password", "platform"}

func envAllowed(field string) bool { return field == "username" || field == "password" }

// parse fills e from its YAML node, returning every problem.
func (e *element) parse(n *yaml.Node) []error {
	e.attrs = map[string]value{}
	e.conn = map[string]*connEntry{}
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return []error{e.errorf("", "expected a mapping of fields, got %s", nodeKind(n))}
	}
	var m map[string]any
	if err := n.Decode(&m); err != nil {
		return []error{e.errorf("", "%v", err)}
	}
	var errs []error
	for _, k := range sortedKeys(m) {
		v := m[k]
		switch {
		case k == "port":
			if err := e.setPort(e.attrs, k, v); err != nil {
				errs = append(errs, err)
			}
		case slices.Contains(stringFields, k) || (strings.HasSuffix(k, "_env") && envAllowed(strings.TrimSuffix(k, "_env"))):
			if err := e.setString(e.attrs, "", k, v); err != nil {
				errs = append(errs, err)
			}
		case k == "groups" && e.kind != kindDefaults:
			gs, err := stringList(v)
			if err != nil {
				errs = append(errs, e.errorf(k, "%v", err))
			}
			e.groups = gs
		case k == "data":
			if v == nil {
				continue
			}
			d, ok := v.(map[string]any)
			if !ok {
				errs = append(errs, e.errorf(k, "expected a mapping with string keys, got %s", typeName(v)))
				continue
			}
			e.data = d
		case k == "connection_options":
			errs = append(errs, e.parseConn(v)...)
		default:
			known := "hostname, port, username, password, platform, groups, data, connection_options"
			if e.kind == kindDefaults {
				known = "hostname, port, username, password, platform, data, connection_options"
			}
			errs = append(errs, e.errorf(k, "unknown field (expected %s, or username_env/password_env)", known))
		}
	}
	return errs
}

func (e *element) parseConn(v any) []error {
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return []error{e.errorf("connection_options", "expected a mapping of connection name to options, got %s", typeName(v))}
	}
	var errs []error
	for _, name := range sortedKeys(m) {
		prefix := "connection_options." + name
		ce := &connEntry{attrs: map[string]value{}, extras: map[string]value{}}
		e.conn[name] = ce
		if m[name] == nil {
			continue
		}
		cm, ok := m[name].(map[string]any)
		if !ok {
			errs = append(errs, e.errorf(prefix, "expected a mapping, got %s", typeName(m[name])))
			continue
		}
		for _, k := range sortedKeys(cm) {
			v := cm[k]
			switch {
			case k == "port":
				if err := e.setPort(ce.attrs, prefix+"."+k, v); err != nil {
					errs = append(errs, err)
				}
			case slices.Contains(stringFields, k) || (strings.HasSuffix(k, "_env") && envAllowed(strings.TrimSuffix(k, "_env"))):
				if err := e.setString(ce.attrs, prefix+".", k, v); err != nil {
					errs = append(errs, err)
				}
			case k == "extras":
				if v == nil {
					continue
				}
				ex, ok := v.(map[string]any)
				if !ok {
					errs = append(errs, e.errorf(prefix+".extras", "expected a mapping with string keys, got %s", typeName(v)))
					continue
				}
				for _, xk := range sortedKeys(ex) {
					xv := ex[xk]
					base, isEnv := strings.CutSuffix(xk, "_env")
					if !isEnv {
						if _, both := ex[xk+"_env"]; both {
							errs = append(errs, e.errorf(prefix+".extras."+xk, "set both as %s and %s_env: keep one", xk, xk))
							continue
						}
						ce.extras[xk] = value{v: xv, field: prefix + ".extras." + xk, el: e}
						continue
					}
					name, ok := xv.(string)
					if !ok || !envName.MatchString(name) {
						errs = append(errs, e.errorf(prefix+".extras."+xk, "expected the name of an environment variable, got %s", typeName(xv)))
						continue
					}
					ce.extras[base] = value{env: name, field: prefix + ".extras." + xk, el: e}
				}
			default:
				errs = append(errs, e.errorf(prefix+"."+k, "unknown field (expected hostname, port, username, password, platform, extras, or username_env/password_env)"))
			}
		}
	}
	return errs
}

func (e *element) setPort(attrs map[string]value, field string, v any) error {
	if v == nil {
		return nil
	}
	p, ok := v.(int)
	if !ok || p < 1 || p > 65535 {
		return e.errorf(field, "expected an integer from 1 to 65535, got %s", typeName(v))
	}
	attrs["port"] = value{v: p, field: field, el: e}
	return nil
}

// setString records field k (possibly k = "<f>_env") under its base name.
func (e *element) setString(attrs map[string]value, prefix, k string, v any) error {
	if v == nil {
		return nil
	}
	base, isEnv := strings.CutSuffix(k, "_env")
	if _, dup := attrs[base]; dup {
		return e.errorf(prefix+k, "set both as %s and %s_env: keep one", base, base)
	}
	s, ok := v.(string)
	if !ok {
		hint := ""
		switch v.(type) {
		case int, float64, bool:
			hint = " (quote it)"
		}
		return e.errorf(prefix+k, "expected a string, got %s%s", typeName(v), hint)
	}
	if isEnv {
		if !envName.MatchString(s) {
			return e.errorf(prefix+k, "expected the name of an environment variable, got %q", s)
		}
		attrs[base] = value{env: s, field: prefix + k, el: e}
		return nil
	}
	attrs[base] = value{v: s, field: prefix + k, el: e}
	return nil
}

func stringList(v any) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("expected a list of group names, got %s", typeName(v))
	}
	out := make([]string, 0, len(l))
	for _, x := range l {
		s, ok := x.(string)
		if !ok || s == "" {
			return nil, fmt.Errorf("expected a list of group names, got an entry %s", typeName(x))
		}
		out = append(out, s)
	}
	return out, nil
}

func typeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "nothing"
	case string:
		return fmt.Sprintf("%q", x)
	case int, int64, uint64, float64:
		return fmt.Sprintf("the number %v", x)
	case bool:
		return fmt.Sprintf("the boolean %v", x)
	case []any:
		return "a list"
	case map[string]any, map[any]any:
		return "a mapping"
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
