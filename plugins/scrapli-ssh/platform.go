package main

import (
	_ "embed"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed platforms.yaml
var platformsYAML []byte

//go:embed linux_platform.yaml
var linuxPlatformYAML []byte

// embeddedDefinitions are the scrapligo platform definitions shipped with the
// plugin, by the name platforms.yaml uses for them.
var embeddedDefinitions = map[string][]byte{"linux_platform.yaml": linuxPlatformYAML}

// platformDef is one platform of platforms.yaml.
type platformDef struct {
	Scrapli           string     `yaml:"scrapli"`
	ScrapliDefinition string     `yaml:"scrapli_definition"`
	FailedWhen        []string   `yaml:"failed_when_contains"`
	Config            configDef  `yaml:"config"`
	Version           versionDef `yaml:"version"`
	name              string     // the platform name
	definition        any        // what scrapligo's platform.NewPlatform takes: a name or YAML bytes
}

// configDef says how cli.config works on a platform.
type configDef struct {
	Privilege  string   `yaml:"privilege"` // "" = no configuration mode: lines run as commands
	Commit     string   `yaml:"commit"`    // "" = the platform applies lines as they are entered
	Check      string   `yaml:"check"`
	Discard    string   `yaml:"discard"`
	CommitOK   string   `yaml:"commit_ok"`   // what a successful commit prints, when known
	StripLines []string `yaml:"strip_lines"` // lines printed above the configuration prompt
}

// versionDef says how device_info reads the version facts.
type versionDef struct {
	Command         string  `yaml:"command"`
	Vendor          factDef `yaml:"vendor"`
	Hostname        factDef `yaml:"hostname"`
	Model           factDef `yaml:"model"`
	Serial          factDef `yaml:"serial"`
	SoftwareRelease factDef `yaml:"software_release"`
}

// factDef is one fact: a fixed value, or the first group of a regex over a
// command's output or over the prompt.
type factDef struct {
	Value   string `yaml:"value"`
	Command string `yaml:"command"` // default: the version command
	From    string `yaml:"from"`    // "prompt" or "" (command output)
	Regex   string `yaml:"regex"`
	re      *regexp.Regexp
}

// platforms are the platform definitions by name, loaded at start.
var platforms = mustLoadPlatforms(platformsYAML)

func mustLoadPlatforms(data []byte) map[string]*platformDef {
	p, err := loadPlatforms(data)
	if err != nil {
		panic(err) // the embedded data is tested; a failure here is a build defect
	}
	return p
}

func loadPlatforms(data []byte) (map[string]*platformDef, error) {
	var defs map[string]*platformDef
	if err := yaml.Unmarshal(data, &defs); err != nil {
		return nil, fmt.Errorf("platforms.yaml: %w", err)
	}
	for name, d := range defs {
		d.name = name
		switch {
		case d.Scrapli != "" && d.ScrapliDefinition == "":
			d.definition = d.Scrapli
		case d.ScrapliDefinition != "" && d.Scrapli == "":
			b, ok := embeddedDefinitions[d.ScrapliDefinition]
			if !ok {
				return nil, fmt.Errorf("platforms.yaml: %s: no embedded definition %q", name, d.ScrapliDefinition)
			}
			d.definition = b
		default:
			return nil, fmt.Errorf("platforms.yaml: %s: set exactly one of scrapli and scrapli_definition", name)
		}
		if d.Version.Command == "" {
			return nil, fmt.Errorf("platforms.yaml: %s: version.command is required", name)
		}
		for field, f := range d.Version.facts() {
			if f.Regex == "" {
				if f.Value == "" && field != "serial" {
					return nil, fmt.Errorf("platforms.yaml: %s: version.%s needs a value or a regex", name, field)
				}
				continue
			}
			re, err := regexp.Compile(f.Regex)
			if err != nil {
				return nil, fmt.Errorf("platforms.yaml: %s: version.%s: %w", name, field, err)
			}
			if re.NumSubexp() < 1 {
				return nil, fmt.Errorf("platforms.yaml: %s: version.%s: the regex needs a capture group", name, field)
			}
			f.re = re
		}
	}
	return defs, nil
}

func (v *versionDef) facts() map[string]*factDef {
	return map[string]*factDef{"vendor": &v.Vendor, "hostname": &v.Hostname, "model": &v.Model,
		"serial": &v.Serial, "software_release": &v.SoftwareRelease}
}

// platformNames lists the platforms served, sorted.
func platformNames() []string {
	names := make([]string, 0, len(platforms))
	for n := range platforms {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// commits reports whether configuration takes effect only on commit.
func (c configDef) commits() bool { return c.Commit != "" }

// failedWhen returns the first of when found in result.
func failedWhen(result string, when ...[]string) string {
	for _, ws := range when {
		for _, w := range ws {
			if w != "" && strings.Contains(result, w) {
				return w
			}
		}
	}
	return ""
}

// mergeFailedWhen joins failed-when lists without duplicates.
func mergeFailedWhen(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		for _, w := range l {
			if w != "" && !slices.Contains(out, w) {
				out = append(out, w)
			}
		}
	}
	return out
}

// extract returns the first capture group of f over text, or f's value.
func (f *factDef) extract(text string) string {
	if f.re == nil {
		return f.Value
	}
	m := f.re.FindStringSubmatch(text)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(m[1])
}
