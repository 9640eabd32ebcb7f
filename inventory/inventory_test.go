package inventory

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// load parses a single-file inventory with a fixed environment.
func load(t *testing.T, src string, env map[string]string, warn func(string)) (*Inventory, error) {
	t.Helper()
	o := Options{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }, Warn: warn}
	return o.parseSingle("inv.yaml", []byte(src))
}

func mustLoad(t *testing.T, src string, env map[string]string) *Inventory {
	t.Helper()
	inv, err := load(t, src, env, nil)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return inv
}

func TestInheritance(t *testing.T) {
	const base = `
defaults:
  username: def-user
  password: def-pw
  platform: def-platform
  port: 2222
  data: {site: def-site, tier: def-tier, only_defaults: 1}
  connection_options:
    scrapli:
      extras: {timeout_ops: 30, auth_strict_key: false, transport: system}
groups:
  grandparent:
    platform: gp-platform
    data: {tier: gp-tier, role: gp-role}
    connection_options:
      scrapli:
        port: 3333
        extras: {auth_secondary: gp-enable, timeout_socket: 5}
  parent:
    groups: [grandparent]
    data: {role: parent-role}
  other:
    platform: other-platform
    username: other-user
    data: {site: other-site, role: other-role}
    connection_options:
      scrapli:
        port: 4444
        username: other-conn-user
  diamond_a: {groups: [shared]}
  diamond_b: {groups: [shared], data: {x: b}}
  shared: {data: {x: shared, y: shared}}
hosts:
  plain: {}
  own:
    hostname: 192.0.2.1
    port: 22
    username: own-user
    platform: own-platform
    groups: [parent, other]
    data: {site: own-site}
    connection_options:
      scrapli:
        extras: {timeout_ops: null, transport: standard}
  ordered: {groups: [other, parent]}
  deep: {groups: [parent, other]}
  diamond: {groups: [diamond_a, diamond_b]}
`
	inv := mustLoad(t, base, nil)
	tests := []struct {
		host                         string
		hostname, platform, username string
		port                         int
		data                         map[string]any
		groups                       []string
		// ssh device
		devPort     int
		devUser     string
		devPlatform string
		enable      string
		options     map[string]string
	}{
		{host: "plain", hostname: "plain", platform: "def-platform", port: 2222,
			data:    map[string]any{"site": "def-site", "tier": "def-tier", "only_defaults": 1},
			devPort: 2222, devUser: "def-user", devPlatform: "def-platform",
			options: map[string]string{"timeout_ops": "30s", "strict_host_key": "false", "transport": "system"}},
		{host: "own", hostname: "192.0.2.1", platform: "own-platform", port: 22,
			data:   map[string]any{"site": "own-site", "tier": "gp-tier", "role": "parent-role", "only_defaults": 1},
			groups: []string{"parent", "grandparent", "other"},
			// scrapli port: the host sets none, parent none, grandparent 3333 (depth first beats other's 4444).
			devPort: 3333, devUser: "other-conn-user", devPlatform: "own-platform", enable: "gp-enable",
			// timeout_ops removed by the host's null; transport overridden; the rest merged.
			options: map[string]string{"strict_host_key": "false", "transport": "standard", "timeout_socket": "5s"}},
		{host: "ordered", hostname: "ordered", platform: "other-platform", port: 2222,
			data:    map[string]any{"site": "other-site", "tier": "gp-tier", "role": "other-role", "only_defaults": 1},
			groups:  []string{"other", "parent", "grandparent"},
			devPort: 4444, devUser: "other-conn-user", devPlatform: "other-platform", enable: "gp-enable",
			options: map[string]string{"timeout_ops": "30s", "strict_host_key": "false", "transport": "system", "timeout_socket": "5s"}},
		{host: "deep", hostname: "deep", platform: "gp-platform", port: 2222,
			data:    map[string]any{"site": "other-site", "tier": "gp-tier", "role": "parent-role", "only_defaults": 1},
			groups:  []string{"parent", "grandparent", "other"},
			devPort: 3333, devUser: "other-conn-user", devPlatform: "gp-platform", enable: "gp-enable",
			options: map[string]string{"timeout_ops": "30s", "strict_host_key": "false", "transport": "system", "timeout_socket": "5s"}},
		{host: "diamond", hostname: "diamond", platform: "def-platform", port: 2222,
			data:    map[string]any{"site": "def-site", "tier": "def-tier", "only_defaults": 1, "x": "shared", "y": "shared"},
			groups:  []string{"diamond_a", "shared", "diamond_b"},
			devPort: 2222, devUser: "def-user", devPlatform: "def-platform",
			options: map[string]string{"timeout_ops": "30s", "strict_host_key": "false", "transport": "system"}},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			h, ok := inv.Host(tt.host)
			if !ok {
				t.Fatal("no host")
			}
			if h.Hostname != tt.hostname || h.Platform != tt.platform || h.Port != tt.port {
				t.Errorf("hostname, platform, port = %q, %q, %d; want %q, %q, %d", h.Hostname, h.Platform, h.Port, tt.hostname, tt.platform, tt.port)
			}
			if !maps.EqualFunc(h.Data, tt.data, func(a, b any) bool { return reflect.DeepEqual(a, b) }) {
				t.Errorf("data = %v, want %v", h.Data, tt.data)
			}
			if tt.groups != nil && !slices.Equal(h.AllGroups(), tt.groups) {
				t.Errorf("AllGroups = %v, want %v", h.AllGroups(), tt.groups)
			}
			dev, err := inv.Device(tt.host, "ssh")
			if err != nil {
				t.Fatal(err)
			}
			if dev.Port != tt.devPort || dev.Username != tt.devUser || dev.Platform != tt.devPlatform || dev.EnableSecret != tt.enable {
				t.Errorf("device port, user, platform, enable = %d, %q, %q, %q; want %d, %q, %q, %q",
					dev.Port, dev.Username, dev.Platform, dev.EnableSecret, tt.devPort, tt.devUser, tt.devPlatform, tt.enable)
			}
			if dev.Password != "def-pw" || dev.ID != tt.host || dev.Host != tt.hostname {
				t.Errorf("device = %+v", dev)
			}
			if !maps.Equal(dev.Options, tt.options) {
				t.Errorf("options = %v, want %v", dev.Options, tt.options)
			}
		})
	}
}

func TestDefaultsAfterAllGroups(t *testing.T) {
	// Nornir's order: every group (depth first) before the defaults, so a
	// second group's value beats the defaults even when the first group
	// inherits nothing.
	inv := mustLoad(t, `
defaults: {platform: from-defaults}
groups:
  first: {}
  second: {platform: from-second}
hosts:
  h: {groups: [first, second]}
`, nil)
	h, _ := inv.Host("h")
	if h.Platform != "from-second" {
		t.Fatalf("platform = %q, want from-second", h.Platform)
	}
}

func TestCredentialsFromEnv(t *testing.T) {
	const src = `
defaults:
  username_env: NY_USER
  password_env: NY_PW
groups:
  g:
    connection_options:
      scrapli:
        extras: {auth_secondary_env: NY_ENABLE}
hosts:
  a: {groups: [g], platform: cisco_iosxe}
  b: {password: plain, platform: cisco_iosxe}
`
	env := map[string]string{"NY_USER": "u", "NY_PW": "p", "NY_ENABLE": "e"}
	inv := mustLoad(t, src, env)
	dev, err := inv.Device("a", "ssh")
	if err != nil {
		t.Fatal(err)
	}
	if dev.Username != "u" || dev.Password != "p" || dev.EnableSecret != "e" {
		t.Fatalf("device = %+v", dev)
	}
	if dev, _ := inv.Device("b", "ssh"); dev.Password != "plain" {
		t.Fatalf("host password does not beat defaults' password_env: %q", dev.Password)
	}
	// Env read at Device time: a missing variable names host, field and variable.
	delete(env, "NY_ENABLE")
	env["NY_PW"] = ""
	_, err = inv.Device("a", "ssh")
	if !errors.Is(err, ErrMissingEnv) {
		t.Fatalf("err = %v, want ErrMissingEnv", err)
	}
	var list Errors
	if !errors.As(err, &list) || len(list) != 2 {
		t.Fatalf("want both problems, got %v", err)
	}
	for i, want := range []struct{ field, v, text string }{
		{"password_env", "NY_PW", "environment variable NY_PW is empty (named by the defaults in inv.yaml)"},
		{"connection_options.scrapli.extras.auth_secondary_env", "NY_ENABLE", "environment variable NY_ENABLE is not set (named by group g in inv.yaml)"},
	} {
		var e *Error
		if !errors.As(list[i], &e) || e.Host != "a" || e.Field != want.field || e.Var != want.v || !strings.Contains(e.Error(), want.text) {
			t.Errorf("problem %d = %v (%+v), want field %s var %s", i, list[i], e, want.field, want.v)
		}
	}
	// Host b does not use NY_ENABLE, and the password is plain there.
	if _, err := inv.Device("b", "ssh"); err != nil {
		t.Fatalf("host b: %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string // substrings of the error
	}{
		{"yaml", "hosts: [", []string{"inv.yaml", "not valid YAML"}},
		{"top", "- a\n", []string{"inv.yaml:1", "expected a mapping at the top level"}},
		{"top key", "host: {}\n", []string{"inv.yaml:1", "host: unknown top-level key"}},
		{"unknown field", "hosts:\n  a:\n    pasword: x\n", []string{"inv.yaml:2", "host a", "pasword: unknown field"}},
		{"port", "hosts:\n  a: {port: ssh}\n", []string{"host a", "port: expected an integer from 1 to 65535, got \"ssh\""}},
		{"port range", "hosts:\n  a: {port: 70000}\n", []string{"host a", "port: expected an integer"}},
		{"conn port", "hosts:\n  a: {connection_options: {scrapli: {port: x}}}\n", []string{"host a", "connection_options.scrapli.port"}},
		{"numeric password", "defaults: {password: 1234}\n", []string{"defaults", "password: expected a string, got the number 1234 (quote it)"}},
		{"both", "hosts:\n  a: {password: x, password_env: Y}\n", []string{"host a", "password_env: set both as password and password_env"}},
		{"bad env name", "hosts:\n  a: {password_env: 'not a name'}\n", []string{"host a", "expected the name of an environment variable"}},
		{"extras both", "hosts:\n  a: {connection_options: {scrapli: {extras: {x: 1, x_env: X}}}}\n", []string{"connection_options.scrapli.extras.x: set both"}},
		{"missing group", "hosts:\n  a: {groups: [nope]}\n", []string{"host a", "groups: no group \"nope\""}},
		{"groups not list", "hosts:\n  a: {groups: core}\n", []string{"host a", "groups: expected a list of group names"}},
		{"cycle", "groups:\n  x: {groups: [y]}\n  y: {groups: [x]}\nhosts: {a: {groups: [x]}}\n", []string{"group x", "cycle: x -> y -> x"}},
		{"self cycle", "groups:\n  x: {groups: [x]}\n", []string{"cycle: x -> x"}},
		{"duplicate host", "hosts:\n  a: {}\n  a: {}\n", []string{"host a", "defined twice"}},
		{"defaults groups", "defaults: {groups: [x]}\n", []string{"defaults", "groups: unknown field"}},
		{"data", "hosts:\n  a: {data: [1]}\n", []string{"host a", "data: expected a mapping"}},
		{"entry", "hosts:\n  a: 3\n", []string{"host a", "expected a mapping of fields"}},
		{"several", "hosts:\n  a: {port: x}\n  b: {pasword: y}\n", []string{"host a: port", "host b: pasword"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.src, nil, nil)
			if err == nil {
				t.Fatal("no error")
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("%T is not an *Error: %v", err, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestLoadDirectoryAndFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "needs hosts.yaml") {
		t.Fatalf("empty dir: %v", err)
	}
	write("hosts.yaml", "---\nb: {groups: [g]}\na: {}\n")
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "hosts.yaml")+":2: host b: groups") {
		t.Fatalf("missing groups.yaml: %v", err)
	}
	write("groups.yml", "g: {platform: eos}\n")
	write("defaults.yaml", "---\n") // empty is fine
	inv, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, h := range inv.Hosts() {
		names = append(names, h.Name)
	}
	if !slices.Equal(names, []string{"b", "a"}) || inv.Source != dir {
		t.Fatalf("hosts %v (file order wanted), source %s", names, inv.Source)
	}
	if h, _ := inv.Host("b"); h.Platform != "eos" {
		t.Fatalf("platform %q", h.Platform)
	}
	file := filepath.Join(dir, "one.yaml")
	write("one.yaml", "hosts: {x: {platform: p, hostname: h1}}\n")
	inv, err = Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := inv.Host("x"); h.Hostname != "h1" {
		t.Fatalf("%+v", h)
	}
	if _, err := Load(filepath.Join(dir, "nope")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("missing: %v", err)
	}
}

func TestDeviceMapping(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "id")
	if err := os.WriteFile(keyFile, []byte("PEM"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := `
defaults: {username: u, password: p, platform: cisco_iosxe, hostname: 192.0.2.9, port: 22}
hosts:
  all:
    connection_options:
      scrapli:
        port: 2022
        extras: {auth_private_key: "` + keyFile + `", auth_private_key_passphrase: pp, ssh_known_hosts_file: /kh, timeout_socket: 2.5, comms_prompt_pattern: x}
      netconf:
        port: 830
        extras: {hostkey_verify: false, timeout: 20, device_params: {name: csr}}
      scrapli_netconf:
        port: 831
      http:
        port: 8080
        extras: {scheme: http, base_path: /api}
      restconf:
        port: 8443
        hostname: rc.example
        platform: other
        extras: {verify: /ca.pem, netyard_options: {restconf_root: /rc, retries: 0}}
      gnmi:
        port: 57400
        extras: {tls: true, target: x}
  nc2:
    connection_options:
      scrapli_netconf: {port: 831, extras: {auth_strict_key: false, timeout_ops: 90}}
      http: {extras: {verify: false}}
  telnet:
    connection_options:
      scrapli: {extras: {transport: telnet, timeout_ops: soon}}
`
	var warnings []string
	inv, err := load(t, src, nil, func(m string) { warnings = append(warnings, m) })
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host, typ string
		port      int
		hostname  string
		platform  string
		options   map[string]string
	}{
		{"all", "ssh", 2022, "192.0.2.9", "cisco_iosxe", map[string]string{"known_hosts": "/kh", "timeout_socket": "2.5s"}},
		{"all", "scrapli", 2022, "192.0.2.9", "cisco_iosxe", map[string]string{"known_hosts": "/kh", "timeout_socket": "2.5s"}},
		{"all", "netconf", 830, "192.0.2.9", "cisco_iosxe", map[string]string{"insecure_skip_verify": "true", "connect_timeout": "20s"}},
		{"all", "api", 8080, "192.0.2.9", "cisco_iosxe", map[string]string{"scheme": "http", "base_path": "/api"}},
		{"all", "http", 8080, "192.0.2.9", "cisco_iosxe", map[string]string{"scheme": "http", "base_path": "/api"}},
		{"all", "restconf", 8443, "rc.example", "other", map[string]string{"ca_file": "/ca.pem", "restconf_root": "/rc", "retries": "0"}},
		{"all", "gnmi", 57400, "192.0.2.9", "cisco_iosxe", map[string]string{"tls": "true", "target": "x"}},
		{"nc2", "netconf", 831, "192.0.2.9", "cisco_iosxe", map[string]string{"insecure_skip_verify": "true", "rpc_timeout": "90s"}},
		{"nc2", "api", 22, "192.0.2.9", "cisco_iosxe", map[string]string{"insecure": "true"}},
		{"nc2", "ssh", 22, "192.0.2.9", "cisco_iosxe", nil},
	}
	for _, tt := range tests {
		dev, err := inv.Device(tt.host, tt.typ)
		if err != nil {
			t.Errorf("%s %s: %v", tt.host, tt.typ, err)
			continue
		}
		if dev.Port != tt.port || dev.Host != tt.hostname || dev.Platform != tt.platform || !maps.Equal(dev.Options, tt.options) {
			t.Errorf("%s %s: port %d host %s platform %s options %v; want %d %s %s %v", tt.host, tt.typ,
				dev.Port, dev.Host, dev.Platform, dev.Options, tt.port, tt.hostname, tt.platform, tt.options)
		}
	}
	dev, _ := inv.Device("all", "ssh")
	if string(dev.PrivateKey) != "PEM" || dev.Passphrase != "pp" {
		t.Errorf("key %q passphrase %q", dev.PrivateKey, dev.Passphrase)
	}
	slices.Sort(warnings)
	wantWarn := []string{
		"inv.yaml: connection_options.netconf.extras.device_params: not used by netconf connections; dropped",
		"inv.yaml: connection_options.scrapli.extras.comms_prompt_pattern: not used by ssh connections; dropped",
	}
	if !slices.Equal(warnings, wantWarn) {
		t.Errorf("warnings %q, want %q", warnings, wantWarn)
	}
	_, err = inv.Device("telnet", "ssh")
	for _, w := range []string{`host telnet: connection_options.scrapli.extras.transport: transport "telnet" is not supported`,
		`host telnet: connection_options.scrapli.extras.timeout_ops: expected seconds`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("telnet: %v lacks %q", err, w)
		}
	}
	if _, err := inv.Device("nope", "ssh"); !errors.Is(err, ErrUnknownHost) {
		t.Errorf("unknown host: %v", err)
	}
}

func TestSelect(t *testing.T) {
	inv := mustLoad(t, `
groups:
  core: {groups: [site_lon]}
  edge: {}
  site_lon: {data: {site: {city: lon}}}
hosts:
  r1: {groups: [core], platform: cisco_iosxe, data: {role: spine, tags: [a, b]}}
  r2: {groups: [edge], platform: arista_eos, data: {role: leaf}}
  r3: {groups: [edge, site_lon], platform: cisco_iosxe, port: 2022}
`, nil)
	names := func(hs []*Host) []string {
		var out []string
		for _, h := range hs {
			out = append(out, h.Name)
		}
		return out
	}
	tests := []struct {
		sel  Selection
		want []string
		err  string
	}{
		{Selection{}, []string{"r1", "r2", "r3"}, ""},
		{Selection{Hosts: []string{"r3", "r1"}}, []string{"r1", "r3"}, ""},
		{Selection{Groups: []string{"site_lon"}}, []string{"r1", "r3"}, ""},
		{Selection{Groups: []string{"core", "edge"}}, []string{"r1", "r2", "r3"}, ""},
		{Selection{Filters: []string{"platform=cisco_iosxe"}}, []string{"r1", "r3"}, ""},
		{Selection{Filters: []string{"platform=cisco_iosxe", "site.city=lon", "port!=2022"}}, []string{"r1"}, ""},
		{Selection{Filters: []string{"tags=b"}}, []string{"r1"}, ""},
		{Selection{Filters: []string{"role!=spine"}}, []string{"r2", "r3"}, ""},
		{Selection{Filters: []string{"name=r2"}, Groups: []string{"edge"}, Hosts: []string{"r2", "r3"}}, []string{"r2"}, ""},
		{Selection{Hosts: []string{"r9"}}, nil, "host r9: no such host"},
		{Selection{Groups: []string{"nope"}}, nil, "group nope: no such group"},
		{Selection{Filters: []string{"=x"}}, nil, "expected key=value"},
		{Selection{Filters: []string{"role=none"}}, nil, "no host matches"},
	}
	for _, tt := range tests {
		got, err := inv.Select(tt.sel)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%+v: err %v, want %q", tt.sel, err, tt.err)
			}
			continue
		}
		if err != nil || !slices.Equal(names(got), tt.want) {
			t.Errorf("%+v: %v, %v; want %v", tt.sel, names(got), err, tt.want)
		}
	}
}
