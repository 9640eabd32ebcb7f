package sdk

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ManifestFile is the file name discovery looks for beside each plugin binary.
const ManifestFile = "netyard-plugin.yaml"

// ManifestSchema is the schema value of the current manifest format.
const ManifestSchema = "netyard.plugin/v1"

// Manifest is a plugin's netyard-plugin.yaml.
type Manifest struct {
	Schema   string          `yaml:"schema" json:"schema"`
	Name     string          `yaml:"name" json:"name"`
	Version  string          `yaml:"version" json:"version"`
	Protocol []int           `yaml:"protocol" json:"protocol"`
	Command  string          `yaml:"command" json:"command"`
	SHA256   string          `yaml:"sha256,omitempty" json:"sha256,omitempty"`
	Provides []ManifestEntry `yaml:"provides" json:"provides"`
	Sessions SessionPolicy   `yaml:"sessions,omitempty" json:"sessions"`

	// Path is the manifest file it was read from (not part of the YAML).
	Path string `yaml:"-" json:"path"`
}

// ManifestEntry is one provides entry.
type ManifestEntry struct {
	Type         string    `yaml:"type" json:"type"`
	Library      string    `yaml:"library" json:"library"`
	Platforms    []string  `yaml:"platforms" json:"platforms"`
	Capabilities []string  `yaml:"capabilities" json:"capabilities"`
	DefaultFor   DefaultOf `yaml:"default_for,omitempty" json:"default_for"`
}

// DefaultOf says which defaults an entry claims: the platform default for
// Platforms, the (platform, type) default for Types.
type DefaultOf struct {
	Platforms []string `yaml:"platforms,omitempty" json:"platforms,omitempty"`
	Types     []string `yaml:"types,omitempty" json:"types,omitempty"`
}

// SessionPolicy is the author's pool recommendation; host config overrides it.
type SessionPolicy struct {
	PerProcess  int      `yaml:"per_process,omitempty" json:"per_process,omitempty"`
	OnClose     string   `yaml:"on_close,omitempty" json:"on_close,omitempty"` // recycle | kill
	MaxUses     int      `yaml:"max_uses,omitempty" json:"max_uses,omitempty"`
	IdleTimeout Duration `yaml:"idle_timeout,omitempty" json:"idle_timeout,omitempty"`
}

// Duration is a time.Duration written as "5m" in YAML.
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("a duration such as 30s or 5m, got %q", n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// ManifestError is a manifest that does not validate: which file, which
// field, what was expected.
type ManifestError struct {
	File     string
	Field    string // YAML path such as provides[0].platforms
	Expected string
	Got      string
}

func (e *ManifestError) Error() string {
	s := fmt.Sprintf("%s: %s: expected %s", e.File, e.Field, e.Expected)
	if e.Got != "" {
		s += ", got " + e.Got
	}
	return s
}

// ManifestErrors gathers every problem of one manifest.
type ManifestErrors []*ManifestError

func (es ManifestErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap lets errors.As find each ManifestError.
func (es ManifestErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

var (
	nameRe    = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	versionRe = regexp.MustCompile(`^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$`)
	shaRe     = regexp.MustCompile(`^[0-9a-f]{64}$`)
	capRe     = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$`)
)

// ParseManifest decodes and validates a manifest. path is used in errors and
// to resolve the command. Unknown fields are errors (a typo must not be
// silently ignored). All problems are reported at once, as ManifestErrors.
func ParseManifest(path string, data []byte) (*Manifest, error) {
	var m Manifest
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, ManifestErrors{{File: path, Field: "(document)", Expected: "a YAML mapping with schema " + ManifestSchema, Got: "an empty file"}}
		}
		return nil, ManifestErrors{{File: path, Field: "(document)", Expected: "valid manifest YAML", Got: strings.TrimPrefix(err.Error(), "yaml: ")}}
	}
	m.Path = path
	if errs := m.Validate(); len(errs) > 0 {
		return &m, errs
	}
	return &m, nil
}

// Validate checks every field and returns all problems, or nil.
func (m *Manifest) Validate() ManifestErrors {
	var errs ManifestErrors
	bad := func(field, expected, got string) {
		errs = append(errs, &ManifestError{File: m.Path, Field: field, Expected: expected, Got: got})
	}
	if m.Schema != ManifestSchema {
		bad("schema", fmt.Sprintf("%q", ManifestSchema), quoteOrMissing(m.Schema))
	}
	if !nameRe.MatchString(m.Name) {
		bad("name", "a lowercase name of letters, digits, '.', '_' or '-'", quoteOrMissing(m.Name))
	}
	if !versionRe.MatchString(m.Version) {
		bad("version", "a semantic version such as 0.1.0", quoteOrMissing(m.Version))
	}
	if len(m.Protocol) == 0 {
		bad("protocol", fmt.Sprintf("a list of wire protocol versions, e.g. [%d]", ProtocolVersion), "missing")
	}
	for i, p := range m.Protocol {
		if p < 1 {
			bad(fmt.Sprintf("protocol[%d]", i), "a positive version number", fmt.Sprint(p))
		}
	}
	switch {
	case m.Command == "":
		bad("command", "the plugin binary's path, relative to the manifest", "missing")
	case filepath.IsAbs(m.Command):
		bad("command", "a path relative to the manifest's directory", fmt.Sprintf("absolute path %q", m.Command))
	case !filepath.IsLocal(filepath.Clean(m.Command)):
		bad("command", "a path inside the manifest's directory", fmt.Sprintf("%q, which leaves it", m.Command))
	}
	if m.SHA256 != "" && !shaRe.MatchString(m.SHA256) {
		bad("sha256", "64 lowercase hex digits", quoteOrMissing(m.SHA256))
	}
	if len(m.Provides) == 0 {
		bad("provides", "at least one entry with type, library, platforms and capabilities", "missing")
	}
	seen := map[string]int{}
	for i, e := range m.Provides {
		f := fmt.Sprintf("provides[%d]", i)
		if !nameRe.MatchString(e.Type) {
			bad(f+".type", "a connection type such as ssh, netconf, api, restconf", quoteOrMissing(e.Type))
		}
		if !nameRe.MatchString(e.Library) {
			bad(f+".library", "a library name such as scrapli or httpx", quoteOrMissing(e.Library))
		}
		key := e.Type + "/" + e.Library
		if j, dup := seen[key]; dup {
			bad(f, fmt.Sprintf("a (type, library) pair not already listed at provides[%d]", j), key)
		}
		seen[key] = i
		if len(e.Platforms) == 0 {
			bad(f+".platforms", `a list of platforms, or ["*"] for any`, "missing")
		}
		for j, p := range e.Platforms {
			if p != "*" && !nameRe.MatchString(p) {
				bad(fmt.Sprintf("%s.platforms[%d]", f, j), "a platform name such as cisco_iosxe, or *", quoteOrMissing(p))
			}
		}
		if len(e.Capabilities) == 0 {
			bad(f+".capabilities", "a list of capabilities such as [cli, device_info]", "missing")
		}
		for j, c := range e.Capabilities {
			if !capRe.MatchString(c) {
				bad(fmt.Sprintf("%s.capabilities[%d]", f, j), "a capability name such as cli or cli.config", quoteOrMissing(c))
			}
		}
		anyPlatform := slices.Contains(e.Platforms, "*")
		for j, p := range e.DefaultFor.Platforms {
			if !anyPlatform && !slices.Contains(e.Platforms, p) {
				bad(fmt.Sprintf("%s.default_for.platforms[%d]", f, j), "one of this entry's platforms "+fmt.Sprint(e.Platforms), quoteOrMissing(p))
			}
		}
		for j, p := range e.DefaultFor.Types {
			if !anyPlatform && !slices.Contains(e.Platforms, p) {
				bad(fmt.Sprintf("%s.default_for.types[%d]", f, j), "one of this entry's platforms "+fmt.Sprint(e.Platforms)+" (the entry becomes the default for (platform, "+e.Type+"))", quoteOrMissing(p))
			}
		}
	}
	s := m.Sessions
	if s.PerProcess < 0 {
		bad("sessions.per_process", "a positive number of sessions per process (1 = one process per connection)", fmt.Sprint(s.PerProcess))
	}
	if s.OnClose != "" && s.OnClose != "recycle" && s.OnClose != "kill" {
		bad("sessions.on_close", "recycle or kill", quoteOrMissing(s.OnClose))
	}
	if s.MaxUses < 0 {
		bad("sessions.max_uses", "a positive number of sessions before the process is replaced", fmt.Sprint(s.MaxUses))
	}
	if s.IdleTimeout < 0 {
		bad("sessions.idle_timeout", "a positive duration", time.Duration(s.IdleTimeout).String())
	}
	return errs
}

// CommandPath is the absolute path of the plugin binary.
func (m *Manifest) CommandPath() string {
	return filepath.Join(filepath.Dir(m.Path), filepath.Clean(m.Command))
}

// Description is what the binary is expected to report in Describe.
func (m *Manifest) Description() Description {
	d := Description{Name: m.Name, Version: m.Version}
	for _, e := range m.Provides {
		d.Provides = append(d.Provides, Provide{Type: e.Type, Library: e.Library, Platforms: e.Platforms, Capabilities: e.Capabilities})
	}
	return d
}

func quoteOrMissing(s string) string {
	if s == "" {
		return "missing"
	}
	return fmt.Sprintf("%q", s)
}
