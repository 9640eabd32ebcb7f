package sim

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// templateData is what platform templates (prompts, outputs, config) can use.
type templateData struct {
	Hostname, Vendor, Model, Serial, Version string
	User, Username                           string
	Uptime, Clock                            string
	MAC                                      string
	Interfaces                               []string
	Args                                     map[string]string
	Arg                                      string // section argument (prompt)
	Octet                                    int    // per-device number for addresses
	Size                                     int    // running-config size
	// error templates
	Caret string
	Word  string
	Token int
}

func (d *Device) templateData(user string, args map[string]string) templateData {
	d.mu.Lock()
	host := d.hostname
	d.mu.Unlock()
	s := d.spec
	return templateData{
		Hostname: host, Vendor: s.Vendor, Model: s.Model, Serial: s.Serial, Version: s.Version,
		User: user, Username: s.Username,
		Uptime:     uptime(d.started),
		Clock:      time.Now().UTC().Format("15:04:05.000 UTC Mon Jan 2 2006"),
		MAC:        fmt.Sprintf("%02x.%02x%02x", (d.index>>16)&0xff, (d.index>>8)&0xff, d.index&0xff),
		Interfaces: d.plat.Interfaces,
		Args:       args,
		Octet:      d.index%250 + 1,
	}
}

// errSessionEnd is returned by execute when the command ends the session.
var errSessionEnd = errors.New("session ended")

// cliSession is the generic mode/command interpreter for one CLI session; the platform
// data decides prompts, commands and outputs. It knows nothing about SSH.
type cliSession struct {
	dev  *Device
	p    *Platform
	user string
	mode string
	// sec is the section a section mode edits (IOS "interface X"), secArg its argument.
	sec    string
	secArg string
	// readSecret prints a prompt and reads a line without echo (enable password).
	readSecret func(prompt string) (string, error)
}

func newCLISession(d *Device, user, mode string) *cliSession {
	return &cliSession{dev: d, p: d.plat, user: user, mode: mode}
}

// prompt renders the current mode's prompt.
func (s *cliSession) prompt() string {
	data := s.dev.templateData(s.user, nil)
	data.Arg = s.secArg
	return s.p.render("prompt:"+s.mode, data)
}

// execute runs one input line, writing its output (with "\n" line ends) to w.
// It returns errSessionEnd when the session should close.
func (s *cliSession) execute(w io.Writer, line string) error {
	line = strings.TrimSpace(line)
	if line == "" {
		return nil
	}
	cmdPart, pipes := line, []string(nil)
	if i := strings.Index(line, "|"); i >= 0 {
		cmdPart = strings.TrimSpace(line[:i])
		for _, p := range strings.Split(line[i+1:], "|") {
			pipes = append(pipes, strings.TrimSpace(p))
		}
	}
	words := strings.Fields(cmdPart)
	if len(words) == 0 {
		s.invalid(w, line, 0, strings.Index(line, "|"))
		return nil
	}
	m := s.p.match(s.mode, words)
	if m.cmd == nil {
		mode := s.p.Modes[s.mode]
		if mode.Config && s.p.ConfigStyle != "junos" && s.p.isConfigKeyword(words[0]) && pipes == nil {
			s.storeConfig(strings.Join(words, " "))
			return nil
		}
		if m.incomplete {
			io.WriteString(w, s.p.render("err:incomplete", s.dev.templateData(s.user, nil)))
			return nil
		}
		s.invalid(w, line, m.failAt, wordOffset(line, m.failAt))
		return nil
	}
	if pipes == nil {
		return s.run(w, m, nil)
	}
	var b strings.Builder
	err := s.run(&b, m, pipes)
	io.WriteString(w, pipeFilter(b.String(), pipes))
	return err
}

// wordOffset returns the byte offset of word i in line.
func wordOffset(line string, i int) int {
	off := 0
	for n := 0; ; n++ {
		for off < len(line) && line[off] == ' ' {
			off++
		}
		if n == i || off >= len(line) {
			return off
		}
		for off < len(line) && line[off] != ' ' {
			off++
		}
	}
}

func (s *cliSession) invalid(w io.Writer, line string, token, offset int) {
	data := s.dev.templateData(s.user, nil)
	data.Caret = strings.Repeat(" ", len(lastLine(s.prompt()))+offset) + "^"
	data.Token = token
	if f := strings.Fields(line); token < len(f) {
		data.Word = f[token]
	}
	name := "err:invalid"
	if token == 0 {
		name = "err:invalid_first"
	}
	io.WriteString(w, s.p.render(name, data))
}

func lastLine(s string) string {
	if i := strings.LastIndex(s, "\n"); i >= 0 {
		return s[i+1:]
	}
	return s
}

func (s *cliSession) output(w io.Writer, m matchResult) {
	if m.cmd.Output != "" {
		data := s.dev.templateData(s.user, m.args)
		io.WriteString(w, s.p.render(fmt.Sprintf("cmd:%d", m.index), data))
	}
}

func (s *cliSession) run(w io.Writer, m matchResult, pipes []string) error {
	d := s.dev
	switch m.cmd.Action {
	case "noop", "output":
		s.output(w, m)
	case "goto":
		s.output(w, m)
		s.mode, s.sec, s.secArg = m.cmd.Target, "", ""
	case "enable":
		if s.mode == m.cmd.Target {
			return nil
		}
		if s.readSecret == nil {
			io.WriteString(w, s.p.render("err:enable_denied", d.templateData(s.user, nil)))
			return nil
		}
		secret, err := s.readSecret(s.p.Errors.PasswordPrompt)
		if err != nil {
			return err
		}
		if secret != d.spec.EnableSecret {
			io.WriteString(w, s.p.render("err:enable_denied", d.templateData(s.user, nil)))
			return nil
		}
		s.mode = m.cmd.Target
	case "exit":
		s.output(w, m)
		mode := s.p.Modes[s.mode]
		if mode.Parent == "" {
			return errSessionEnd
		}
		if s.p.ConfigStyle == "junos" && s.dirty() {
			io.WriteString(w, s.p.render("err:uncommitted", d.templateData(s.user, nil)))
		}
		s.mode, s.sec, s.secArg = mode.Parent, "", ""
	case "logout":
		return errSessionEnd
	case "show_running":
		display := false
		for _, p := range pipes {
			display = display || strings.Join(strings.Fields(p), " ") == "display set"
		}
		return d.writeConfig(w, configView{user: s.user, displaySet: display})
	case "show_candidate":
		for _, p := range pipes {
			if f := strings.Fields(p); len(f) > 0 && hasPrefixWord(f[0], "compare", 3) {
				s.compare(w)
				return nil
			}
		}
		return d.writeConfig(w, configView{user: s.user, candidate: true, noFiller: true})
	case "show_compare":
		s.compare(w)
	case "section":
		mode := s.p.Modes[m.cmd.Target]
		s.storeSection(m.canonical)
		s.mode, s.sec = m.cmd.Target, m.canonical
		s.secArg = strings.Join(strings.Fields(m.canonical)[1:], "")
		_ = mode
	case "config":
		s.storeConfig(m.canonical)
	case "do":
		sub := &cliSession{dev: d, p: s.p, user: s.user, mode: s.p.ExecMode}
		return sub.execute(w, m.args["command"])
	case "set":
		words := strings.Fields(m.args["path"])
		if !s.p.isConfigKeyword(words[0]) {
			s.invalid(w, "set "+m.args["path"], 1, wordOffset("set "+m.args["path"], 1))
			return nil
		}
		d.mu.Lock()
		d.candidate = applySet(d.editCandidate(), strings.Join(words, " "))
		d.mu.Unlock()
	case "delete":
		d.mu.Lock()
		c, found := applyDelete(d.editCandidate(), strings.Join(strings.Fields(m.args["path"]), " "))
		d.candidate = c
		d.mu.Unlock()
		if !found {
			io.WriteString(w, "warning: statement not found\n")
		}
	case "commit":
		d.mu.Lock()
		if d.candidate != nil {
			d.running = d.candidate
			d.candidate = nil
			d.lastCommit = time.Now()
			if h := s.p.hostnameFrom(d.running); h != "" {
				d.hostname = h
			}
		}
		d.mu.Unlock()
		s.output(w, m)
		if m.cmd.Target != "" {
			s.mode = m.cmd.Target
		}
	case "rollback":
		// rollback 0 (the only stored revision) discards the candidate
		if n := m.args["n"]; n != "" && n != "0" {
			io.WriteString(w, "error: Requested rollback configuration does not exist\n")
			return nil
		}
		d.mu.Lock()
		d.candidate = nil
		d.mu.Unlock()
		s.output(w, m)
	default:
		return fmt.Errorf("platform %s: unknown action %q", s.p.Name, m.cmd.Action)
	}
	return nil
}

// editCandidate returns the candidate configuration for editing; d.mu must be held.
func (d *Device) editCandidate() []*cfgNode {
	if d.candidate == nil {
		return cloneNodes(d.running)
	}
	return d.candidate
}

func (s *cliSession) dirty() bool {
	s.dev.mu.Lock()
	defer s.dev.mu.Unlock()
	return s.dev.candidate != nil
}

func (s *cliSession) compare(w io.Writer) {
	d := s.dev
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.candidate == nil {
		return
	}
	old := map[string]bool{}
	for _, n := range d.running {
		old[n.Text] = true
	}
	now := map[string]bool{}
	for _, n := range d.candidate {
		now[n.Text] = true
		if !old[n.Text] {
			fmt.Fprintf(w, "+ set %s\n", n.Text)
		}
	}
	for _, n := range d.running {
		if !now[n.Text] {
			fmt.Fprintf(w, "- set %s\n", n.Text)
		}
	}
}

// storeConfig applies an IOS-style configuration line in the current scope.
func (s *cliSession) storeConfig(line string) {
	d := s.dev
	d.mu.Lock()
	defer d.mu.Unlock()
	d.lastCommit = time.Now()
	if s.sec != "" && s.p.Modes[s.mode].Section {
		var sec *cfgNode
		d.running, sec = section(d.running, s.sec)
		sec.Children = applyIOSLine(sec.Children, line)
		return
	}
	d.running = applyIOSLine(d.running, line)
	if h := s.p.hostnameFrom(d.running); h != "" {
		d.hostname = h
	}
}

func (s *cliSession) storeSection(text string) {
	d := s.dev
	d.mu.Lock()
	defer d.mu.Unlock()
	d.running, _ = section(d.running, text)
}
