package sim

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// invOptions is one Nornir connection_options entry.
type invOptions struct {
	Hostname string         `yaml:"hostname,omitempty"`
	Port     int            `yaml:"port,omitempty"`
	Platform string         `yaml:"platform,omitempty"`
	Extras   map[string]any `yaml:"extras,omitempty"`
}

// invHost is one host of a Nornir SimpleInventory hosts.yaml.
type invHost struct {
	Hostname          string                `yaml:"hostname"`
	Port              int                   `yaml:"port,omitempty"`
	Username          string                `yaml:"username"`
	Password          string                `yaml:"password"`
	Platform          string                `yaml:"platform"`
	Groups            []string              `yaml:"groups,omitempty"`
	Data              map[string]any        `yaml:"data,omitempty"`
	ConnectionOptions map[string]invOptions `yaml:"connection_options,omitempty"`
}

func addrPort(addr string) (string, int) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0
	}
	p, _ := strconv.Atoi(port)
	return host, p
}

// inventoryHost describes d for Nornir. The top-level port is the CLI SSH port, or for
// devices without CLI the NETCONF, HTTPS or HTTP port (in that order).
func (d *Device) inventoryHost(caFile string) invHost {
	s := d.spec
	// services lets `netyard run --filter services=ssh` pick devices by
	// what they serve (NETCONF-only and HTTP-only devices share a platform
	// group with the CLI devices).
	var services []string
	for _, sv := range []struct{ name, addr string }{{"ssh", d.sshAddr}, {"netconf", d.ncAddr}, {"http", d.httpAddr}, {"https", d.httpsAddr}} {
		if sv.addr != "" {
			services = append(services, sv.name)
		}
	}
	h := invHost{
		Username: s.Username, Password: s.Password, Platform: s.Platform,
		Groups: []string{s.Platform},
		Data: map[string]any{
			"sim_hostname": d.Hostname(), "vendor": s.Vendor, "model": s.Model,
			"serial": s.Serial, "version": s.Version, "enable_secret": s.EnableSecret,
			"services": services,
		},
		ConnectionOptions: map[string]invOptions{},
	}
	for _, a := range []string{d.sshAddr, d.ncAddr, d.httpsAddr, d.httpAddr} {
		if a != "" {
			h.Hostname, h.Port = addrPort(a)
			break
		}
	}
	if d.sshAddr != "" {
		_, p := addrPort(d.sshAddr)
		h.ConnectionOptions["scrapli"] = invOptions{Port: p, Extras: map[string]any{
			"auth_secondary": s.EnableSecret, "auth_strict_key": false, "transport": "standard",
		}}
	}
	if d.ncAddr != "" {
		_, p := addrPort(d.ncAddr)
		h.ConnectionOptions["netconf"] = invOptions{Port: p, Extras: map[string]any{"hostkey_verify": false}}
		h.ConnectionOptions["scrapli_netconf"] = invOptions{Port: p, Extras: map[string]any{"auth_strict_key": false}}
	}
	if d.httpAddr != "" {
		_, p := addrPort(d.httpAddr)
		h.ConnectionOptions["http"] = invOptions{Port: p, Extras: map[string]any{"scheme": "http"}}
	}
	restconf := d.httpsAddr
	scheme := "https"
	if restconf == "" {
		restconf, scheme = d.httpAddr, "http"
	}
	if restconf != "" {
		_, p := addrPort(restconf)
		ex := map[string]any{"scheme": scheme}
		if scheme == "https" {
			ex["verify"] = caFile
		}
		h.ConnectionOptions["restconf"] = invOptions{Port: p, Extras: ex}
	}
	if d.httpsAddr != "" && d.httpAddr == "" {
		_, p := addrPort(d.httpsAddr)
		h.ConnectionOptions["http"] = invOptions{Port: p, Extras: map[string]any{"scheme": "https", "verify": caFile}}
	}
	return h
}

// WriteInventory writes a Nornir SimpleInventory (hosts.yaml, groups.yaml, defaults.yaml)
// for every device into dir, plus ca.pem (the HTTPS trust anchor the restconf extras
// point to). Hosts appear in the order they were added.
func (s *Sim) WriteInventory(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("sim: inventory: %w", err)
	}
	caFile, err := filepath.Abs(filepath.Join(dir, "ca.pem"))
	if err != nil {
		return fmt.Errorf("sim: inventory: %w", err)
	}
	devs := s.Devices()
	hosts := &yaml.Node{Kind: yaml.MappingNode}
	groups := map[string]map[string]any{}
	for _, d := range devs {
		var v yaml.Node
		if err := v.Encode(d.inventoryHost(caFile)); err != nil {
			return fmt.Errorf("sim: inventory: device %s: %w", d.spec.Name, err)
		}
		hosts.Content = append(hosts.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: d.spec.Name}, &v)
		groups[d.spec.Platform] = map[string]any{
			"platform": d.spec.Platform,
			"data":     map[string]any{"vendor": d.spec.Vendor},
		}
	}
	defaults := map[string]any{"data": map[string]any{"simulated": true}}
	if len(devs) > 0 {
		defaults["username"] = devs[0].spec.Username
		defaults["password"] = devs[0].spec.Password
	}
	files := map[string]any{"hosts.yaml": hosts, "groups.yaml": groups, "defaults.yaml": defaults}
	for name, v := range files {
		var b bytes.Buffer
		b.WriteString("---\n")
		enc := yaml.NewEncoder(&b)
		enc.SetIndent(2)
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("sim: inventory %s: %w", name, err)
		}
		enc.Close()
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("sim: inventory: %w", err)
		}
	}
	if err := os.WriteFile(caFile, s.caPEM, 0o644); err != nil {
		return fmt.Errorf("sim: inventory: %w", err)
	}
	return nil
}
