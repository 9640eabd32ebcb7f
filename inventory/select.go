package inventory

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Selection chooses hosts. Every non-empty criterion must hold (and); within
// Hosts and within Groups any entry may match (or).
type Selection struct {
	// Hosts are host names; a name not in the inventory is an error.
	Hosts []string
	// Groups: the host belongs to one of them, directly or through other
	// groups; a group not in the inventory is an error.
	Groups []string
	// Filters are "key=value" or "key!=value". key is name, hostname, port
	// or platform, else a data key, dotted for nested mappings
	// (site.region=eu). A list value matches when any element does; a
	// missing key matches != only.
	Filters []string
}

// Filter is one parsed "key=value" or "key!=value".
type Filter struct {
	Key, Value string
	Not        bool
}

// ParseFilter parses "key=value" or "key!=value".
func ParseFilter(s string) (Filter, error) {
	i := strings.IndexByte(s, '=')
	if i <= 0 {
		return Filter{}, fmt.Errorf("filter %q: expected key=value or key!=value", s)
	}
	f := Filter{Key: s[:i], Value: s[i+1:]}
	if k, ok := strings.CutSuffix(f.Key, "!"); ok {
		f.Key, f.Not = k, true
	}
	if f.Key == "" {
		return Filter{}, fmt.Errorf("filter %q: expected key=value or key!=value", s)
	}
	return f, nil
}

// Match reports whether h passes f.
func (f Filter) Match(h *Host) bool {
	vals, found := h.lookup(f.Key)
	eq := found && slices.Contains(vals, f.Value)
	return eq != f.Not
}

// lookup returns the string forms of a field or data value.
func (h *Host) lookup(key string) ([]string, bool) {
	switch key {
	case "name":
		return []string{h.Name}, true
	case "hostname":
		return []string{h.Hostname}, true
	case "platform":
		return []string{h.Platform}, h.Platform != ""
	case "port":
		return []string{strconv.Itoa(h.Port)}, h.Port != 0
	}
	var cur any = h.Data
	for part := range strings.SplitSeq(key, ".") {
		switch m := cur.(type) {
		case map[string]any:
			v, ok := m[part]
			if !ok {
				return nil, false
			}
			cur = v
		case map[any]any:
			v, ok := m[part]
			if !ok {
				return nil, false
			}
			cur = v
		default:
			return nil, false
		}
	}
	if l, ok := cur.([]any); ok {
		var out []string
		for _, e := range l {
			if s, ok := scalar(e); ok {
				out = append(out, s)
			}
		}
		return out, true
	}
	if cur == nil {
		return []string{""}, true
	}
	s, ok := scalar(cur)
	return []string{s}, ok
}

// Select returns the hosts that match sel, in inventory order. Unknown host
// or group names and malformed filters are errors; a selection that matches
// nothing is an error wrapping ErrNoMatch.
func (inv *Inventory) Select(sel Selection) ([]*Host, error) {
	var errs []error
	var names []string
	for _, n := range sel.Hosts {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if _, ok := inv.byName[n]; !ok {
			errs = append(errs, &Error{Host: n, Err: ErrUnknownHost})
			continue
		}
		names = append(names, n)
	}
	for _, g := range sel.Groups {
		if _, ok := inv.groups[g]; !ok {
			errs = append(errs, &Error{Group: g, Err: fmt.Errorf("no such group (groups: %s)", strings.Join(inv.Groups(), ", "))})
		}
	}
	var filters []Filter
	for _, s := range sel.Filters {
		f, err := ParseFilter(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		filters = append(filters, f)
	}
	if len(errs) > 0 {
		return nil, join(errs)
	}
	var out []*Host
	for _, h := range inv.hosts {
		if len(names) > 0 && !slices.Contains(names, h.Name) {
			continue
		}
		if len(sel.Groups) > 0 && !slices.ContainsFunc(sel.Groups, h.InGroup) {
			continue
		}
		if !slices.ContainsFunc(filters, func(f Filter) bool { return !f.Match(h) }) {
			out = append(out, h)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w the selection (%d hosts in %s)", ErrNoMatch, len(inv.hosts), inv.Source)
	}
	return out, nil
}
