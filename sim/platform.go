package sim

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"text/template"

	"go.yaml.in/yaml/v3"
)

//go:embed platforms/*.yaml
var platformFS embed.FS

// Platform is the data that makes the generic CLI interpreter behave like one vendor's
// operating system: prompts per mode, commands and where they lead, output templates and
// error strings. It is loaded from sim/platforms/<name>.yaml, so a new platform is a new file.
type Platform struct {
	// Name is the scrapligo platform name, e.g. "cisco_iosxe".
	Name string `yaml:"platform"`
	// Vendor, Model and Version are the defaults for a DeviceSpec that leaves them empty.
	Vendor  string `yaml:"vendor"`
	Model   string `yaml:"model"`
	Version string `yaml:"version"`
	// SerialPrefix starts every generated serial number.
	SerialPrefix string `yaml:"serial_prefix"`
	// ConfigStyle is "ios" (indented sections) or "junos" (set commands, braces when shown).
	ConfigStyle string `yaml:"config_style"`
	// Indent prefixes a section's child lines when the running config is rendered.
	Indent string `yaml:"indent"`
	// HostnameLine is the configuration line (without its value) that names the device.
	HostnameLine string `yaml:"hostname_line"`
	// CaseInsensitive makes keywords match regardless of case (IOS, EOS).
	CaseInsensitive bool `yaml:"case_insensitive"`
	// LoginMode is the mode an interactive session starts in; ExecMode the one an
	// "ssh host command" request runs in (a privilege-15 user on IOS lands in privileged).
	LoginMode string `yaml:"login_mode"`
	ExecMode  string `yaml:"exec_mode"`
	// Banner is printed once when an interactive session starts.
	Banner string `yaml:"banner"`
	// Modes maps a mode name to its prompt and place in the hierarchy.
	Modes map[string]*Mode `yaml:"modes"`
	// Commands are tried in order; the first whose pattern matches runs.
	Commands []*Command `yaml:"commands"`
	// ConfigKeywords are the first words a configuration line may start with; other lines
	// are invalid input, as on the real device.
	ConfigKeywords []string `yaml:"config_keywords"`
	// Errors holds the templates for rejected input.
	Errors Errors `yaml:"errors"`
	// InitialConfig is the factory configuration (ios: indented lines; junos: set lines
	// without the leading "set").
	InitialConfig string `yaml:"initial_config"`
	// RunningHeader and RunningFooter wrap the rendered running configuration.
	RunningHeader string `yaml:"running_header"`
	RunningFooter string `yaml:"running_footer"`
	// Filler is one block of realistic configuration, repeated to pad output to Faults.OutputSize.
	Filler string `yaml:"filler"`
	// Interfaces are the device's physical interfaces (the HTTP API starts with these).
	Interfaces []string `yaml:"interfaces"`
	// NamedBlocks are junos statements that take a name and form one block ("unit 0").
	NamedBlocks []string `yaml:"named_blocks"`

	tmpl map[string]*template.Template

	fillers fillerCache
	cmds    []*compiledCommand
}

// Mode is one CLI mode (privilege level or configuration context).
type Mode struct {
	// Prompt is a template; fields: Hostname, User, Arg (the section argument).
	Prompt string `yaml:"prompt"`
	// Parent is where "exit" goes; without a parent "exit" ends the session.
	Parent string `yaml:"parent"`
	// Config marks configuration modes: lines starting with a ConfigKeyword are stored.
	Config bool `yaml:"config"`
	// Section marks a sub-mode whose lines are children of the section that entered it.
	Section bool `yaml:"section"`
}

// Command is one CLI command pattern and its action.
//
// A pattern is a list of words: a literal "sh[ow]" matches "sh", "sho" or "show";
// "<name>" captures one word and "<name...>" the rest of the line.
type Command struct {
	Modes   []string `yaml:"modes"`
	Match   string   `yaml:"match"`
	Action  string   `yaml:"action"`
	Target  string   `yaml:"target"`
	Output  string   `yaml:"output"`
	Hidden  bool     `yaml:"hidden"`
	Comment string   `yaml:"comment"`
}

// Errors are the templates for rejected input; fields: Caret (the marker line), Word, Token.
type Errors struct {
	InvalidFirst   string `yaml:"invalid_first"`
	Invalid        string `yaml:"invalid"`
	Incomplete     string `yaml:"incomplete"`
	EnableDenied   string `yaml:"enable_denied"`
	PasswordPrompt string `yaml:"password_prompt"`
	Uncommitted    string `yaml:"uncommitted"`
}

type patternWord struct {
	min, full string // literal: min abbreviation and full keyword
	arg       string // capture name, "" for literals
	rest      bool   // captures the rest of the line
}

type compiledCommand struct {
	*Command
	words []patternWord
	modes map[string]bool
}

var (
	platformsOnce sync.Once
	platforms     map[string]*Platform
	platformsErr  error
)

// Platforms lists the names of the embedded platforms.
func Platforms() []string {
	loadPlatforms()
	names := make([]string, 0, len(platforms))
	for n := range platforms {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LookupPlatform returns the embedded platform definition with the given name.
func LookupPlatform(name string) (*Platform, error) {
	loadPlatforms()
	if platformsErr != nil {
		return nil, platformsErr
	}
	p, ok := platforms[name]
	if !ok {
		return nil, fmt.Errorf("unknown platform %q (known: %s)", name, strings.Join(Platforms(), ", "))
	}
	return p, nil
}

func loadPlatforms() {
	platformsOnce.Do(func() {
		platforms = map[string]*Platform{}
		files, err := fs.Glob(platformFS, "platforms/*.yaml")
		if err != nil {
			platformsErr = err
			return
		}
		for _, f := range files {
			b, err := platformFS.ReadFile(f)
			if err != nil {
				platformsErr = err
				return
			}
			p, err := ParsePlatform(b)
			if err != nil {
				platformsErr = fmt.Errorf("platform file %s: %w", path.Base(f), err)
				return
			}
			platforms[p.Name] = p
		}
	})
}

// ParsePlatform parses and validates one platform definition.
func ParsePlatform(b []byte) (*Platform, error) {
	p := &Platform{}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(p); err != nil {
		return nil, err
	}
	if p.Name == "" {
		return nil, fmt.Errorf("missing platform name")
	}
	if p.Modes[p.LoginMode] == nil || p.Modes[p.ExecMode] == nil {
		return nil, fmt.Errorf("%s: login_mode %q or exec_mode %q is not a mode", p.Name, p.LoginMode, p.ExecMode)
	}
	p.tmpl = map[string]*template.Template{}
	add := func(name, text string) error {
		t, err := template.New(name).Option("missingkey=zero").Parse(text)
		if err != nil {
			return fmt.Errorf("%s: template %s: %w", p.Name, name, err)
		}
		p.tmpl[name] = t
		return nil
	}
	for name, m := range p.Modes {
		if m.Parent != "" && p.Modes[m.Parent] == nil {
			return nil, fmt.Errorf("%s: mode %s: unknown parent %q", p.Name, name, m.Parent)
		}
		if err := add("prompt:"+name, m.Prompt); err != nil {
			return nil, err
		}
	}
	for k, v := range map[string]string{
		"err:invalid_first": p.Errors.InvalidFirst, "err:invalid": p.Errors.Invalid,
		"err:incomplete": p.Errors.Incomplete, "err:enable_denied": p.Errors.EnableDenied,
		"err:uncommitted": p.Errors.Uncommitted,
		"running_header":  p.RunningHeader, "running_footer": p.RunningFooter, "filler": p.Filler,
		"initial_config": p.InitialConfig, "banner": p.Banner,
	} {
		if err := add(k, v); err != nil {
			return nil, err
		}
	}
	for i, c := range p.Commands {
		cc := &compiledCommand{Command: c, modes: map[string]bool{}}
		for _, m := range c.Modes {
			if p.Modes[m] == nil {
				return nil, fmt.Errorf("%s: command %q: unknown mode %q", p.Name, c.Match, m)
			}
			cc.modes[m] = true
		}
		if c.Target != "" && p.Modes[c.Target] == nil {
			return nil, fmt.Errorf("%s: command %q: unknown target mode %q", p.Name, c.Match, c.Target)
		}
		for _, w := range strings.Fields(c.Match) {
			cc.words = append(cc.words, parsePatternWord(w))
		}
		if len(cc.words) == 0 {
			return nil, fmt.Errorf("%s: command %d has an empty pattern", p.Name, i)
		}
		if err := add(fmt.Sprintf("cmd:%d", i), c.Output); err != nil {
			return nil, err
		}
		p.cmds = append(p.cmds, cc)
	}
	return p, nil
}

func parsePatternWord(w string) patternWord {
	if strings.HasPrefix(w, "<") && strings.HasSuffix(w, ">") {
		name := strings.TrimSuffix(strings.TrimPrefix(w, "<"), ">")
		rest := strings.HasSuffix(name, "...")
		return patternWord{arg: strings.TrimSuffix(name, "..."), rest: rest}
	}
	if i := strings.Index(w, "["); i > 0 && strings.HasSuffix(w, "]") {
		return patternWord{min: w[:i], full: w[:i] + w[i+1:len(w)-1]}
	}
	return patternWord{min: w, full: w}
}

func (p *Platform) render(name string, data any) string {
	t := p.tmpl[name]
	if t == nil {
		return ""
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return fmt.Sprintf("%% template %s: %v\n", name, err)
	}
	return b.String()
}

// matchResult describes how far a line got against the command table.
type matchResult struct {
	cmd       *compiledCommand
	index     int               // index of cmd in p.cmds
	args      map[string]string // captured arguments
	canonical string            // the line with keywords expanded
	// for failures: the word index that did not match, or -1 when the line was
	// incomplete (all words matched a prefix of a pattern).
	failAt     int
	incomplete bool
}

// match finds the command for words in mode. On failure it reports the first word no
// command accepts, so the caret can point at it like the real device does.
func (p *Platform) match(mode string, words []string) matchResult {
	best := matchResult{failAt: 0}
	for i, c := range p.cmds {
		if !c.modes[mode] {
			continue
		}
		args := map[string]string{}
		var canon []string
		n := 0 // words consumed
		incomplete, failed := false, false
		for _, pw := range c.words {
			if n >= len(words) {
				incomplete = true
				break
			}
			switch {
			case pw.rest:
				args[pw.arg] = strings.Join(words[n:], " ")
				canon = append(canon, words[n:]...)
				n = len(words)
			case pw.arg != "":
				args[pw.arg] = words[n]
				canon = append(canon, words[n])
				n++
			case p.wordMatches(words[n], pw):
				canon = append(canon, pw.full)
				n++
			default:
				failed = true
			}
			if failed {
				break
			}
		}
		if !incomplete && !failed && n < len(words) {
			failed = true
		}
		switch {
		case incomplete:
			best = matchResult{failAt: n, incomplete: true}
		case failed:
			if !best.incomplete && n > best.failAt {
				best = matchResult{failAt: n}
			}
		default:
			return matchResult{cmd: c, index: i, args: args, canonical: strings.Join(canon, " "), failAt: -1}
		}
	}
	return best
}

func (p *Platform) wordMatches(w string, pw patternWord) bool {
	full, min := pw.full, pw.min
	if p.CaseInsensitive {
		w, full, min = strings.ToLower(w), strings.ToLower(full), strings.ToLower(min)
	}
	return len(w) >= len(min) && strings.HasPrefix(full, w)
}

func (p *Platform) isConfigKeyword(w string) bool {
	for _, k := range p.ConfigKeywords {
		if k == w || (p.CaseInsensitive && strings.EqualFold(k, w)) {
			return true
		}
	}
	return false
}
