package sdk_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/netyard/netyard/sdk"
)

const goodManifest = `schema: netyard.plugin/v1
name: scrapli-ssh
version: 0.1.0
protocol: [1]
command: ./scrapli-ssh
provides:
  - type: ssh
    library: scrapli
    platforms: [cisco_iosxe, arista_eos]
    capabilities: [cli, cli.config, device_info]
    default_for:
      platforms: [cisco_iosxe]
      types: [cisco_iosxe, arista_eos]
sessions:
  per_process: 64
  on_close: recycle
  max_uses: 1000
  idle_timeout: 5m
`

func TestParseManifestGood(t *testing.T) {
	m, err := sdk.ParseManifest("/p/netyard-plugin.yaml", []byte(goodManifest))
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "scrapli-ssh" || m.CommandPath() != "/p/scrapli-ssh" || m.Sessions.PerProcess != 64 || len(m.Provides[0].DefaultFor.Types) != 2 {
		t.Errorf("%+v", m)
	}
}

// Each bad field is reported with the file, the field and what was expected.
func TestParseManifestErrors(t *testing.T) {
	const file = "plugins/x/netyard-plugin.yaml"
	tests := []struct {
		name     string
		old, new string // replace old by new in goodManifest
		field    string
		expected string // substring of Expected
		got      string // substring of Got
	}{
		{"wrong schema", "schema: netyard.plugin/v1", "schema: netyard.plugin/v2", "schema", `"netyard.plugin/v1"`, `"netyard.plugin/v2"`},
		{"missing schema", "schema: netyard.plugin/v1\n", "", "schema", `"netyard.plugin/v1"`, "missing"},
		{"upper-case name", "name: scrapli-ssh", "name: Scrapli", "name", "lowercase name", `"Scrapli"`},
		{"missing name", "name: scrapli-ssh\n", "", "name", "lowercase name", "missing"},
		{"bad version", "version: 0.1.0", "version: one", "version", "semantic version", `"one"`},
		{"missing protocol", "protocol: [1]\n", "", "protocol", "wire protocol versions", "missing"},
		{"zero protocol", "protocol: [1]", "protocol: [0]", "protocol[0]", "positive version", "0"},
		{"missing command", "command: ./scrapli-ssh\n", "", "command", "binary's path", "missing"},
		{"absolute command", "command: ./scrapli-ssh", "command: /usr/bin/ssh", "command", "relative to the manifest", "/usr/bin/ssh"},
		{"command leaving the directory", "command: ./scrapli-ssh", "command: ../other/bin", "command", "inside the manifest's directory", "leaves it"},
		{"bad sha256", "command: ./scrapli-ssh", "command: ./scrapli-ssh\nsha256: ABC", "sha256", "64 lowercase hex digits", `"ABC"`},
		{"bad type", "type: ssh", "type: SSH", "provides[0].type", "connection type", `"SSH"`},
		{"missing library", "    library: scrapli\n", "", "provides[0].library", "library name", "missing"},
		{"no platforms", "platforms: [cisco_iosxe, arista_eos]", "platforms: []", "provides[0].platforms", `["*"] for any`, "missing"},
		{"bad platform", "platforms: [cisco_iosxe, arista_eos]", "platforms: [cisco_iosxe, Arista EOS]", "provides[0].platforms[1]", "platform name", `"Arista EOS"`},
		{"no capabilities", "capabilities: [cli, cli.config, device_info]", "capabilities: []", "provides[0].capabilities", "list of capabilities", "missing"},
		{"bad capability", "capabilities: [cli, cli.config, device_info]", "capabilities: [cli, CLI-Config]", "provides[0].capabilities[1]", "capability name", `"CLI-Config"`},
		{"default for a platform not served", "platforms: [cisco_iosxe]\n", "platforms: [juniper_junos]\n", "provides[0].default_for.platforms[0]", "one of this entry's platforms", `"juniper_junos"`},
		{"type default for a platform not served", "types: [cisco_iosxe, arista_eos]", "types: [cisco_iosxe, linux]", "provides[0].default_for.types[1]", "one of this entry's platforms", `"linux"`},
		{"negative per_process", "per_process: 64", "per_process: -1", "sessions.per_process", "positive number", "-1"},
		{"bad on_close", "on_close: recycle", "on_close: keep", "sessions.on_close", "recycle or kill", `"keep"`},
		{"negative max_uses", "max_uses: 1000", "max_uses: -5", "sessions.max_uses", "positive number", "-5"},
		{"unknown field", "version: 0.1.0", "version: 0.1.0\nvendor: acme", "(document)", "valid manifest YAML", "field vendor not found"},
		{"bad duration", "idle_timeout: 5m", "idle_timeout: soon", "(document)", "valid manifest YAML", "duration"},
		{"not YAML", goodManifest, "[unclosed", "(document)", "valid manifest YAML", ""},
		{"empty file", goodManifest, "", "(document)", "a YAML mapping", "an empty file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(goodManifest, tt.old) {
				t.Fatalf("fixture lacks %q", tt.old)
			}
			data := strings.Replace(goodManifest, tt.old, tt.new, 1)
			_, err := sdk.ParseManifest(file, []byte(data))
			var me *sdk.ManifestError
			if !errors.As(err, &me) {
				t.Fatalf("error %v (%T), want a ManifestError", err, err)
			}
			var all sdk.ManifestErrors
			errors.As(err, &all)
			var found *sdk.ManifestError
			for _, e := range all {
				if e.Field == tt.field {
					found = e
				}
			}
			if found == nil {
				t.Fatalf("no error for field %q in %v", tt.field, err)
			}
			if found.File != file || !strings.Contains(found.Expected, tt.expected) || !strings.Contains(found.Got, tt.got) {
				t.Errorf("got %+v; want expected ~ %q, got ~ %q", found, tt.expected, tt.got)
			}
			if msg := found.Error(); !strings.HasPrefix(msg, file+": "+tt.field+": expected ") {
				t.Errorf("message %q does not name file, field and expectation", msg)
			}
		})
	}
}

// Every problem of a manifest is reported at once.
func TestParseManifestReportsAll(t *testing.T) {
	bad := "schema: netyard.plugin/v1\nname: X\nversion: x\nprotocol: []\ncommand: /abs\nprovides: []\n"
	_, err := sdk.ParseManifest("m.yaml", []byte(bad))
	var all sdk.ManifestErrors
	if !errors.As(err, &all) {
		t.Fatalf("%v", err)
	}
	var fields []string
	for _, e := range all {
		fields = append(fields, e.Field)
	}
	if got, want := strings.Join(fields, ","), "name,version,protocol,command,provides"; got != want {
		t.Errorf("fields %s, want %s", got, want)
	}
}
