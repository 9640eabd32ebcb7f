package inventory

import (
	"fmt"
	"strings"
)

// resolve checks group references and cycles, then computes every host's
// resolution chain and inherited fields.
func (inv *Inventory) resolve() error {
	var errs []error
	for _, name := range sortedKeys(inv.groups) {
		g := inv.groups[name]
		for _, p := range g.groups {
			if _, ok := inv.groups[p]; !ok {
				errs = append(errs, g.errorf("groups", "no group %q (groups: %s)", p, strings.Join(inv.Groups(), ", ")))
			}
		}
	}
	for _, h := range inv.hosts {
		for _, p := range h.el.groups {
			if _, ok := inv.groups[p]; !ok {
				errs = append(errs, h.el.errorf("groups", "no group %q (groups: %s)", p, strings.Join(inv.Groups(), ", ")))
			}
		}
	}
	if len(errs) > 0 {
		return join(errs)
	}
	if err := inv.checkCycles(); err != nil {
		return err
	}
	for _, h := range inv.hosts {
		h.chain = inv.chain(h.el)
		h.Groups = h.el.groups
		h.Hostname = h.name()
		if v, ok := h.attr("port"); ok {
			h.Port = v.v.(int)
		}
		if v, ok := h.attr("platform"); ok {
			h.Platform, _ = v.v.(string)
		}
		h.Data = map[string]any{}
		for i := len(h.chain) - 1; i >= 0; i-- {
			for k, v := range h.chain[i].data {
				h.Data[k] = v
			}
		}
	}
	return nil
}

func (h *Host) name() string {
	if v, ok := h.attr("hostname"); ok {
		if s, _ := v.v.(string); s != "" {
			return s
		}
	}
	return h.Name
}

// checkCycles refuses a group that is, through other groups, its own parent.
func (inv *Inventory) checkCycles() error {
	const (
		unseen = iota
		active
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(name string) error
	visit = func(name string) error {
		switch state[name] {
		case active:
			i := 0
			for path[i] != name {
				i++
			}
			cycle := append(append([]string{}, path[i:]...), name)
			return inv.groups[name].errorf("groups", "groups form a cycle: %s", strings.Join(cycle, " -> "))
		case done:
			return nil
		}
		state[name] = active
		path = append(path, name)
		for _, p := range inv.groups[name].groups {
			if err := visit(p); err != nil {
				return err
			}
		}
		path = path[:len(path)-1]
		state[name] = done
		return nil
	}
	for _, name := range sortedKeys(inv.groups) {
		if err := visit(name); err != nil {
			return err
		}
	}
	return nil
}

// chain is the order fields are looked up in: the element, its groups depth
// first in the order listed (a group reached twice counts once, where it was
// first reached), then the defaults.
func (inv *Inventory) chain(el *element) []*element {
	out := []*element{el}
	seen := map[string]bool{}
	var walk func(gs []string)
	walk = func(gs []string) {
		for _, name := range gs {
			if seen[name] {
				continue
			}
			seen[name] = true
			g := inv.groups[name]
			out = append(out, g)
			walk(g.groups)
		}
	}
	walk(el.groups)
	return append(out, inv.defaults)
}

// attr is the first value of a top-level field along the chain.
func (h *Host) attr(field string) (value, bool) {
	for _, e := range h.chain {
		if v, ok := e.attrs[field]; ok {
			return v, true
		}
	}
	return value{}, false
}

// ConnectionOptions is one resolved connection_options entry: every field
// filled from the connection entries along the chain, then from the host.
// Secrets are not resolved here; Device reads them.
type ConnectionOptions struct {
	Name     string // the connection_options key, e.g. "scrapli"
	Hostname string
	Port     int
	Platform string
	// Extras merged key by key; values from the environment appear as
	// "$NAME" (see Device for the values themselves).
	Extras map[string]any

	username, password value
	hasUser, hasPass   bool
	extras             map[string]value
}

// ConnectionOptions resolves the connection_options entry called name for
// host. ok is false when no level of the host's chain has such an entry; the
// result then holds the host's own fields.
func (h *Host) ConnectionOptions(name string) (co ConnectionOptions, ok bool) {
	co = ConnectionOptions{Name: name, extras: map[string]value{}}
	first := func(field string) (value, bool) {
		for _, e := range h.chain {
			if ce, has := e.conn[name]; has {
				ok = true
				if v, set := ce.attrs[field]; set {
					return v, true
				}
			}
		}
		return h.attr(field)
	}
	co.Hostname = h.Hostname
	if v, set := first("hostname"); set {
		if s, _ := v.v.(string); s != "" {
			co.Hostname = s
		}
	}
	if v, set := first("port"); set {
		co.Port = v.v.(int)
	}
	if v, set := first("platform"); set {
		co.Platform, _ = v.v.(string)
	}
	co.username, co.hasUser = first("username")
	co.password, co.hasPass = first("password")
	for i := len(h.chain) - 1; i >= 0; i-- {
		ce, has := h.chain[i].conn[name]
		if !has {
			continue
		}
		for k, v := range ce.extras {
			if v.v == nil && v.env == "" {
				delete(co.extras, k)
				continue
			}
			co.extras[k] = v
		}
	}
	co.Extras = make(map[string]any, len(co.extras))
	for k, v := range co.extras {
		if v.env != "" {
			co.Extras[k] = "$" + v.env
		} else {
			co.Extras[k] = v.v
		}
	}
	return co, ok
}

// secret reads v, from the environment when it says so.
func (inv *Inventory) secret(h *Host, v value) (string, error) {
	if v.env == "" {
		s, ok := v.v.(string)
		if !ok {
			return fmt.Sprint(v.v), nil
		}
		return s, nil
	}
	s, ok := inv.opts.LookupEnv(v.env)
	if !ok || s == "" {
		state := "is not set"
		if ok {
			state = "is empty"
		}
		err := &Error{Host: h.Name, Field: v.field, Var: v.env,
			Err: missingEnv(fmt.Sprintf("environment variable %s %s", v.env, state))}
		if v.el != nil && v.el != h.el {
			where := "the defaults"
			if v.el.kind == kindGroup {
				where = "group " + v.el.name
			}
			err.Err = missingEnv(fmt.Sprintf("environment variable %s %s (named by %s in %s)", v.env, state, where, v.el.file))
		} else if v.el != nil {
			err.File = v.el.file
		}
		return "", err
	}
	return s, nil
}

// missingEnv is an ErrMissingEnv with its own message.
type missingEnv string

func (e missingEnv) Error() string        { return string(e) }
func (e missingEnv) Is(target error) bool { return target == ErrMissingEnv }
