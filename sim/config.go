package sim

import (
	"bufio"
	"bytes"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// cfgNode is one configuration line; IOS-style sections (interface, line, router) have
// children. Junos configuration is kept as flat set paths (no children).
type cfgNode struct {
	Text     string
	Children []*cfgNode
}

func cloneNodes(ns []*cfgNode) []*cfgNode {
	out := make([]*cfgNode, len(ns))
	for i, n := range ns {
		c := &cfgNode{Text: n.Text}
		if n.Children != nil {
			c.Children = cloneNodes(n.Children)
		}
		out[i] = c
	}
	return out
}

// singleValued are statements a device keeps once per scope: a new value replaces the old.
var singleValued = []string{
	"hostname", "description", "ip address", "mtu", "speed", "duplex", "bandwidth", "name",
	"switchport mode", "switchport access vlan", "encapsulation", "exec-timeout",
	"host-name", "router-id", "autonomous-system",
}

func isSingleValued(word string) bool {
	for _, k := range singleValued {
		if k == word {
			return true
		}
	}
	return false
}

func keyOf(line string) string {
	for _, k := range singleValued {
		if line == k || strings.HasPrefix(line, k+" ") {
			return k
		}
	}
	return line
}

// parseIOSConfig reads indented IOS/EOS configuration: indented lines are children of the
// last unindented line; "!" lines are separators.
func parseIOSConfig(text string) []*cfgNode {
	var nodes []*cfgNode
	for _, l := range strings.Split(text, "\n") {
		t := strings.TrimSpace(l)
		if t == "" || t == "!" {
			continue
		}
		if l[0] == ' ' && len(nodes) > 0 {
			last := nodes[len(nodes)-1]
			last.Children = append(last.Children, &cfgNode{Text: t})
			continue
		}
		nodes = append(nodes, &cfgNode{Text: t})
	}
	return nodes
}

func parseSetConfig(text string) []*cfgNode {
	var nodes []*cfgNode
	for _, l := range strings.Split(text, "\n") {
		if t := strings.Join(strings.Fields(l), " "); t != "" {
			nodes = append(nodes, &cfgNode{Text: t})
		}
	}
	return nodes
}

// applyIOSLine stores one configuration line in scope (the top level or a section's
// children) and returns the new scope contents.
func applyIOSLine(scope []*cfgNode, line string) []*cfgNode {
	if rest, ok := strings.CutPrefix(line, "no "); ok {
		removed := false
		kept := scope[:0:0]
		for _, n := range scope {
			if n.Text == rest || strings.HasPrefix(n.Text, rest+" ") || keyOf(n.Text) == keyOf(rest) && keyOf(rest) != rest {
				removed = true
				continue
			}
			kept = append(kept, n)
		}
		if !removed && rest != "shutdown" {
			kept = addUnique(kept, line)
		}
		return kept
	}
	key := keyOf(line)
	for i, n := range scope {
		if n.Text == line {
			return scope
		}
		if key != line && keyOf(n.Text) == key {
			scope[i] = &cfgNode{Text: line, Children: n.Children}
			return scope
		}
	}
	kept := scope[:0:0]
	for _, n := range scope {
		if n.Text == "no "+key {
			continue
		}
		kept = append(kept, n)
	}
	return append(kept, &cfgNode{Text: line})
}

func addUnique(scope []*cfgNode, line string) []*cfgNode {
	for _, n := range scope {
		if n.Text == line {
			return scope
		}
	}
	return append(scope, &cfgNode{Text: line})
}

// section finds or creates the top-level section with the given text.
func section(nodes []*cfgNode, text string) ([]*cfgNode, *cfgNode) {
	for _, n := range nodes {
		if n.Text == text {
			return nodes, n
		}
	}
	n := &cfgNode{Text: text}
	return append(nodes, n), n
}

// applySet adds a Junos set path to a set configuration.
func applySet(nodes []*cfgNode, path string) []*cfgNode {
	words := strings.Fields(path)
	for i, n := range nodes {
		if n.Text == path {
			return nodes
		}
		// a single-valued leaf ("system host-name X") replaces its old value
		if len(words) >= 2 {
			prefix := strings.Join(words[:len(words)-1], " ") + " "
			if isSingleValued(words[len(words)-2]) && strings.HasPrefix(n.Text, prefix) &&
				!strings.Contains(n.Text[len(prefix):], " ") {
				nodes[i] = &cfgNode{Text: path}
				return nodes
			}
		}
	}
	return append(nodes, &cfgNode{Text: path})
}

// applyDelete removes a Junos path and everything under it; it reports whether anything matched.
func applyDelete(nodes []*cfgNode, path string) ([]*cfgNode, bool) {
	kept := nodes[:0:0]
	found := false
	for _, n := range nodes {
		if n.Text == path || strings.HasPrefix(n.Text, path+" ") {
			found = true
			continue
		}
		kept = append(kept, n)
	}
	return kept, found
}

// hostnameFrom finds the hostname statement of the platform in a configuration.
func (p *Platform) hostnameFrom(nodes []*cfgNode) string {
	prefix := p.HostnameLine + " "
	for _, n := range nodes {
		if v, ok := strings.CutPrefix(n.Text, prefix); ok {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

// configView selects what writeConfig renders.
type configView struct {
	user       string
	candidate  bool // junos: the candidate instead of the active configuration
	displaySet bool // junos: "| display set"
	noFiller   bool
}

type fillerData struct{ N, A, B int }

// writeConfig renders the configuration, padded with filler up to Faults.OutputSize.
func (d *Device) writeConfig(w io.Writer, v configView) error {
	d.mu.Lock()
	nodes := d.running
	if v.candidate && d.candidate != nil {
		nodes = d.candidate
	}
	nodes = cloneNodes(nodes)
	size := d.faults.OutputSize
	changed := d.lastCommit
	d.mu.Unlock()
	if v.noFiller {
		size = 0
	}
	p := d.plat
	var body strings.Builder
	switch {
	case p.ConfigStyle == "junos" && v.displaySet:
		for _, n := range nodes {
			body.WriteString("set " + n.Text + "\n")
		}
	case p.ConfigStyle == "junos":
		renderJunos(&body, nodes, p)
	default:
		renderIOS(&body, nodes, p.Indent)
	}
	data := d.templateData(v.user, nil)
	data.Clock = changed.UTC().Format("15:04:05 UTC Mon Jan 2 2006")
	data.Size = body.Len()
	if size > data.Size {
		data.Size = size
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	header := ""
	if !v.displaySet {
		header = p.render("running_header", data)
	}
	bw.WriteString(header)
	bw.WriteString(body.String())
	written := len(header) + body.Len()
	if size > written && !v.displaySet {
		if _, err := bw.Write(p.filler(size - written)); err != nil {
			return err
		}
	}
	if !v.displaySet {
		bw.WriteString(p.render("running_footer", data))
	}
	return bw.Flush()
}

func renderIOS(b *strings.Builder, nodes []*cfgNode, indent string) {
	prevSection := true
	for _, n := range nodes {
		isSection := len(n.Children) > 0 || strings.HasPrefix(n.Text, "interface ")
		if isSection && !prevSection {
			b.WriteString("!\n")
		}
		b.WriteString(n.Text + "\n")
		for _, c := range n.Children {
			b.WriteString(indent + c.Text + "\n")
		}
		if isSection {
			b.WriteString("!\n")
		}
		prevSection = isSection
	}
	if !prevSection {
		b.WriteString("!\n")
	}
}

type junosNode struct {
	name     string
	leaf     bool
	children []*junosNode
}

func (n *junosNode) child(name string, leaf bool) *junosNode {
	for _, c := range n.children {
		if c.name == name && c.leaf == leaf {
			return c
		}
	}
	c := &junosNode{name: name, leaf: leaf}
	n.children = append(n.children, c)
	return c
}

// renderJunos turns set paths into Junos' curly-brace hierarchy. Without a schema it uses a
// rule that holds for common statements: the last keyword/value pair is the leaf, and
// named blocks ("unit 0", "family inet") form one level.
func renderJunos(b *strings.Builder, nodes []*cfgNode, p *Platform) {
	root := &junosNode{}
	named := map[string]bool{}
	for _, w := range p.NamedBlocks {
		named[w] = true
	}
	for _, n := range nodes {
		words := splitQuoted(n.Text)
		var toks []string
		var grouped []bool
		for i := 0; i < len(words); i++ {
			if named[words[i]] && i+1 < len(words) {
				toks = append(toks, words[i]+" "+words[i+1])
				grouped = append(grouped, true)
				i++
				continue
			}
			toks = append(toks, words[i])
			grouped = append(grouped, false)
		}
		var path []string
		var leaf string
		switch {
		case len(toks) == 1 || grouped[len(toks)-1]:
			path, leaf = toks[:len(toks)-1], toks[len(toks)-1]
		default:
			path, leaf = toks[:len(toks)-2], toks[len(toks)-2]+" "+toks[len(toks)-1]
		}
		cur := root
		for _, t := range path {
			cur = cur.child(t, false)
		}
		cur.child(leaf, true)
	}
	var walk func(n *junosNode, depth int)
	walk = func(n *junosNode, depth int) {
		mergeLeaves(n)
		ind := strings.Repeat(p.Indent, depth)
		for _, c := range n.children {
			if c.leaf {
				b.WriteString(ind + c.name + ";\n")
				continue
			}
			b.WriteString(ind + c.name + " {\n")
			walk(c, depth+1)
			b.WriteString(ind + "}\n")
		}
	}
	walk(root, 0)
}

// mergeLeaves moves a leaf "k v" into a sibling block "k" as "v" ("services ssh;" next to
// "services { netconf ssh; }" becomes one block), as Junos shows it.
func mergeLeaves(n *junosNode) {
	kept := n.children[:0]
	for _, c := range n.children {
		if c.leaf {
			if k, v, ok := strings.Cut(c.name, " "); ok {
				if b := n.find(k); b != nil {
					b.child(v, true)
					continue
				}
			}
		}
		kept = append(kept, c)
	}
	n.children = kept
}

func (n *junosNode) find(name string) *junosNode {
	for _, c := range n.children {
		if c.name == name && !c.leaf {
			return c
		}
	}
	return nil
}

// splitQuoted splits on blanks but keeps "quoted strings" together.
func splitQuoted(s string) []string {
	var out []string
	var cur strings.Builder
	inQ := false
	for _, r := range s {
		switch {
		case r == '"':
			inQ = !inQ
			cur.WriteRune(r)
		case r == ' ' && !inQ:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// pipeFilter applies output modifiers ("| include X", "| exclude X", "| begin X",
// "| count", "| no-more", Junos "| match X", "| except X") to rendered output.
func pipeFilter(out string, pipes []string) string {
	for _, p := range pipes {
		f := strings.Fields(p)
		if len(f) == 0 {
			continue
		}
		arg := strings.Join(f[1:], " ")
		re, err := regexp.Compile(arg)
		if err != nil {
			re = regexp.MustCompile(regexp.QuoteMeta(arg))
		}
		lines := strings.SplitAfter(out, "\n")
		var b strings.Builder
		switch {
		case hasPrefixWord(f[0], "include", 1) || f[0] == "match" || hasPrefixWord(f[0], "section", 1):
			for _, l := range lines {
				if re.MatchString(l) {
					b.WriteString(l)
				}
			}
		case hasPrefixWord(f[0], "exclude", 1) || f[0] == "except":
			for _, l := range lines {
				if l != "" && !re.MatchString(l) {
					b.WriteString(l)
				}
			}
		case hasPrefixWord(f[0], "begin", 1):
			on := false
			for _, l := range lines {
				on = on || re.MatchString(l)
				if on {
					b.WriteString(l)
				}
			}
		case f[0] == "count":
			n := strings.Count(out, "\n")
			b.WriteString("Count: " + strconv.Itoa(n) + " lines\n")
		default: // no-more, display set, compare (handled by the caller) and anything else
			b.WriteString(out)
		}
		out = b.String()
	}
	return out
}

func hasPrefixWord(w, full string, min int) bool {
	return len(w) >= min && strings.HasPrefix(full, w)
}

func uptime(since time.Time) string {
	d := time.Since(since)
	days := int(d.Hours()) / 24
	hours := int(d.Hours()) % 24
	mins := int(d.Minutes()) % 60
	plural := func(n int, s string) string {
		if n == 1 {
			return "1 " + s
		}
		return strconv.Itoa(n) + " " + s + "s"
	}
	if days > 0 {
		return plural(days, "day") + ", " + plural(hours, "hour") + ", " + plural(mins, "minute")
	}
	return plural(hours, "hour") + ", " + plural(mins, "minute")
}

// fillerCache holds a platform's filler entries rendered once, so that a
// 64 MiB running-config costs a copy, not a million template executions.
type fillerCache struct {
	mu   sync.Mutex
	b    []byte
	ends []int // end offset of each entry in b
}

// filler returns whole filler entries adding up to at least n bytes.
func (p *Platform) filler(n int) []byte {
	c := &p.fillers
	c.mu.Lock()
	defer c.mu.Unlock()
	ft := p.tmpl["filler"]
	for len(c.b) < n && ft != nil {
		i := len(c.ends) + 1
		var fb bytes.Buffer
		if err := ft.Execute(&fb, fillerData{N: i, A: (i / 256) % 256, B: i % 256}); err != nil || fb.Len() == 0 {
			break
		}
		c.b = append(c.b, fb.Bytes()...)
		c.ends = append(c.ends, len(c.b))
	}
	k, _ := slices.BinarySearch(c.ends, n)
	if k >= len(c.ends) {
		return c.b
	}
	return c.b[:c.ends[k]]
}
