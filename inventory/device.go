package inventory

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/netyard/netyard/sdk"
)

// connKeys are the connection_options entries read for each connection type,
// in order of preference: the first one present anywhere in the host's chain
// is used, whole.
var connKeys = map[string][]string{
	"ssh":      {"ssh", "scrapli", "netmiko"},
	"netconf":  {"netconf", "scrapli_netconf"},
	"api":      {"api", "http"},
	"restconf": {"restconf"},
}

// typeAliases are connection names accepted for a type.
var typeAliases = map[string]string{"scrapli": "ssh", "http": "api"}

// pluginOptions are the option keys of netyard's own plugins, passed through
// when an inventory uses them directly (keep in step with
// plugins/*/options.go and docs/plugins/).
var pluginOptions = map[string][]string{
	"ssh": {"transport", "known_hosts", "strict_host_key", "timeout_socket", "timeout_ops", "channel_log"},
	"netconf": {"connect_timeout", "rpc_timeout", "max_reply_size", "known_hosts", "insecure_skip_verify",
		"base", "hello_delay"},
	"api": {"scheme", "base_path", "auth", "login_path", "token_field", "token_header", "token_prefix",
		"ca_file", "insecure", "tls_server_name", "retries", "retry_backoff", "retry_max_wait", "dial_timeout",
		"max_response", "probe_path", "info_path", "restconf_root", "accept"},
}

func init() { pluginOptions["restconf"] = pluginOptions["api"] }

// ConnType returns the canonical connection type for name: "scrapli" is
// "ssh", "http" is "api", anything else is itself.
func ConnType(name string) string {
	if t, ok := typeAliases[name]; ok {
		return t
	}
	return name
}

// Device builds the device record for connecting to host over connType
// (ssh, netconf, api, restconf, their aliases scrapli and http, or any other
// plugin type): hostname, port, platform and credentials from the
// connection_options entry for the type (see the package documentation),
// else from the host; secrets from the environment where the inventory names
// a variable; extras translated into the plugin's options. Every problem of
// the host is reported at once.
func (inv *Inventory) Device(host, connType string) (sdk.Device, error) {
	h, ok := inv.byName[host]
	if !ok {
		return sdk.Device{}, &Error{Host: host, Err: ErrUnknownHost}
	}
	typ := ConnType(connType)
	keys := connKeys[typ]
	if keys == nil {
		keys = []string{typ}
	}
	co, _ := h.ConnectionOptions("")
	for _, k := range keys {
		if c, ok := h.ConnectionOptions(k); ok {
			co = c
			break
		}
	}
	dev := sdk.Device{ID: h.Name, Name: h.Name, Platform: co.Platform, Host: co.Hostname, Port: co.Port,
		Options: map[string]string{}}
	x := &xlate{inv: inv, h: h, dev: &dev, typ: typ, key: co.Name}
	if co.hasUser {
		dev.Username = x.secret(co.username)
	}
	if co.hasPass {
		dev.Password = x.secret(co.password)
	}
	for _, k := range sortedKeys(co.extras) {
		x.extra(k, co.extras[k])
	}
	if len(dev.Options) == 0 {
		dev.Options = nil
	}
	if len(x.errs) > 0 {
		return sdk.Device{}, join(x.errs)
	}
	return dev, nil
}

// xlate translates one host's extras for one connection type.
type xlate struct {
	inv  *Inventory
	h    *Host
	dev  *sdk.Device
	typ  string
	key  string
	cur  value // the extra being translated
	errs []error
}

func (x *xlate) fail(field, format string, args ...any) {
	err := &Error{Host: x.h.Name, Field: field, Err: fmt.Errorf(format, args...)}
	if x.cur.el != nil {
		err.File = x.cur.el.file
	}
	x.errs = append(x.errs, err)
}

func (x *xlate) secret(v value) string {
	s, err := x.inv.secret(x.h, v)
	if err != nil {
		x.errs = append(x.errs, err)
	}
	return s
}

// warn reports an extra that means nothing here, once per inventory.
func (x *xlate) warn(field, why string) {
	msg := fmt.Sprintf("connection_options.%s.extras.%s: %s", x.key, field, why)
	if x.cur.el != nil {
		msg = x.cur.el.file + ": " + msg
	}
	x.inv.warnMu.Lock()
	if x.inv.warned == nil {
		x.inv.warned = map[string]bool{}
	}
	first := !x.inv.warned[msg]
	x.inv.warned[msg] = true
	x.inv.warnMu.Unlock()
	if first {
		x.inv.opts.Warn(msg)
	}
}

// extra translates one extras key.
func (x *xlate) extra(k string, v value) {
	x.cur = v
	field := v.field
	var raw any = v.v
	if v.env != "" {
		raw = x.secret(v)
	}
	opt := func(name string, s string) { x.dev.Options[name] = s }
	str := func() (string, bool) {
		s, ok := scalar(raw)
		if !ok {
			x.fail(field, "expected a string, number or boolean, got %s", typeName(raw))
		}
		return s, ok
	}
	boolean := func() (bool, bool) {
		b, ok := asBool(raw)
		if !ok {
			x.fail(field, "expected true or false, got %s", typeName(raw))
		}
		return b, ok
	}
	seconds := func() (string, bool) {
		d, ok := asDuration(raw)
		if !ok {
			x.fail(field, "expected seconds (a number) or a duration such as 30s, got %s", typeName(raw))
		}
		return d, ok
	}
	keyFile := func() {
		p, ok := str()
		if !ok || p == "" {
			return
		}
		b, err := os.ReadFile(expandHome(p))
		if err != nil {
			x.fail(field, "read the private key: %v", unwrapPathError(err))
			return
		}
		x.dev.PrivateKey = b
	}

	if k == "netyard_options" {
		m, ok := raw.(map[string]any)
		if !ok {
			x.fail(field, "expected a mapping of plugin option to value, got %s", typeName(raw))
			return
		}
		for _, ok2 := range sortedKeys(m) {
			s, ok := scalar(m[ok2])
			if !ok {
				x.fail(field+"."+ok2, "expected a string, number or boolean, got %s", typeName(m[ok2]))
				continue
			}
			opt(ok2, s)
		}
		return
	}
	known, ours := pluginOptions[x.typ]
	if !ours {
		// Another plugin's type: its options are its own business.
		if s, ok := str(); ok {
			opt(k, s)
		}
		return
	}

	switch x.typ {
	case "ssh":
		switch k {
		case "auth_secondary", "secret":
			if s, ok := str(); ok {
				x.dev.EnableSecret = s
			}
			return
		case "auth_username":
			if s, ok := str(); ok {
				x.dev.Username = s
			}
			return
		case "auth_password":
			if s, ok := str(); ok {
				x.dev.Password = s
			}
			return
		case "auth_private_key", "key_file":
			keyFile()
			return
		case "auth_private_key_passphrase", "passphrase":
			if s, ok := str(); ok {
				x.dev.Passphrase = s
			}
			return
		case "auth_strict_key", "strict_host_key":
			if b, ok := boolean(); ok {
				opt("strict_host_key", strconv.FormatBool(b))
			}
			return
		case "ssh_known_hosts_file", "known_hosts":
			if b, ok := raw.(bool); ok {
				if b {
					opt("known_hosts", expandHome("~/.ssh/known_hosts"))
				}
				return
			}
			if s, ok := str(); ok && s != "" {
				opt("known_hosts", expandHome(s))
			}
			return
		case "transport":
			s, ok := str()
			if !ok {
				return
			}
			switch s {
			case "system":
				opt("transport", "system")
			case "standard", "paramiko", "ssh2", "asyncssh":
				opt("transport", "standard")
			default:
				x.fail(field, "transport %q is not supported (system, or standard for paramiko, ssh2, asyncssh)", s)
			}
			return
		case "timeout_socket", "conn_timeout":
			if d, ok := seconds(); ok {
				opt("timeout_socket", d)
			}
			return
		case "timeout_ops", "read_timeout_override":
			if d, ok := seconds(); ok {
				opt("timeout_ops", d)
			}
			return
		case "channel_log":
			if b, ok := raw.(bool); ok {
				opt("channel_log", strconv.FormatBool(b))
			} else {
				x.warn(k, "only true or false is supported (the channel log goes to the host log at debug)")
			}
			return
		}
	case "netconf":
		switch k {
		case "hostkey_verify", "auth_strict_key":
			if b, ok := boolean(); ok && !b {
				opt("insecure_skip_verify", "true")
			}
			return
		case "ssh_known_hosts_file", "known_hosts":
			if s, ok := str(); ok && s != "" {
				opt("known_hosts", expandHome(s))
			}
			return
		case "key_filename", "auth_private_key":
			keyFile()
			return
		case "auth_private_key_passphrase", "passphrase":
			if s, ok := str(); ok {
				x.dev.Passphrase = s
			}
			return
		case "timeout", "timeout_socket":
			if d, ok := seconds(); ok {
				opt("connect_timeout", d)
			}
			return
		case "timeout_ops":
			if d, ok := seconds(); ok {
				opt("rpc_timeout", d)
			}
			return
		}
	case "api", "restconf":
		switch k {
		case "scheme", "transport":
			if s, ok := str(); ok {
				s = strings.ToLower(s)
				if s != "http" && s != "https" {
					x.fail(field, "expected http or https, got %q", s)
					return
				}
				opt("scheme", s)
			}
			return
		case "verify", "ssl_verify":
			if b, ok := raw.(bool); ok {
				if !b {
					opt("insecure", "true")
				}
				return
			}
			if s, ok := str(); ok && s != "" {
				opt("ca_file", expandHome(s))
			}
			return
		}
	}
	if slices.Contains(known, k) {
		if s, ok := str(); ok {
			opt(k, s)
		}
		return
	}
	x.warn(k, "not used by "+x.typ+" connections; dropped")
}

// scalar formats a YAML scalar as an option value.
func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return "", false
}

func asBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		b, err := strconv.ParseBool(x)
		return b, err == nil
	}
	return false, false
}

// asDuration reads Python-style seconds (10, 2.5) or a Go duration ("10s").
func asDuration(v any) (string, bool) {
	switch x := v.(type) {
	case int:
		if x <= 0 {
			return "", false
		}
		return strconv.Itoa(x) + "s", true
	case float64:
		if x <= 0 || x > 1e9 {
			return "", false
		}
		return strconv.FormatFloat(x, 'f', -1, 64) + "s", true
	case string:
		if f, err := strconv.ParseFloat(x, 64); err == nil {
			return asDuration(f)
		}
		if _, err := parseDuration(x); err == nil {
			return x, true
		}
	}
	return "", false
}

func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}

func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err == nil && d <= 0 {
		err = fmt.Errorf("not positive")
	}
	return d, err
}
