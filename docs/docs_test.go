// Package docs_test checks that every fenced code block of README.md and
// docs/**/*.md is compiled, run or parsed, so the docs cannot drift from the
// code.
//
// # What happens to a block
//
// The block's language (the first word after the opening fence) decides:
//
//	go            compiled. All Go blocks of all pages are type-checked and
//	              vetted by one `go vet ./...` in a temporary directory inside
//	              the module (docs/_docstest*, ignored by ./... patterns from
//	              the root), so imports of github.com/netyard/netyard/...
//	              resolve. Errors are reported at the .md file's line (the
//	              generated files carry //line directives).
//	              A block whose first code line is `package ...` is a whole
//	              file. Any other block is a fragment, put after a preamble
//	              (see preambles below): top-level declarations (func, type,
//	              var, const) stay at top level, statements go inside a
//	              function returning an error (so `return err` works; a
//	              `return nil` is added at the end). Variables a statement
//	              fragment declares at its top level are marked used, so a
//	              fragment may end with `r, err := ...`.
//	sh            run: each line is a command (lines ending in "\" are joined;
//	              blank lines and lines starting with "#" are skipped).
//	console       run: lines starting with "$ " are commands; the other lines
//	              are output and are not checked.
//	yaml          parsed: a plugin manifest (schema: netyard.plugin/v1) with
//	              sdk.ParseManifest, a lock file (schema: netyard.lock/v1)
//	              with host.ReadLock, an inventory in one file (top-level
//	              keys among hosts, groups, defaults) with inventory.Load.
//	text, output  not checked: example output.
//	anything else, or no language, fails the test: teach this file about a
//	new kind of block before using it.
//
// # Directives
//
// HTML comments on the lines just before an opening fence (blank lines may
// separate them), one directive per comment:
//
//	<!-- preamble: NAME -->  the preamble of a Go fragment (default: worker).
//	<!-- file: PATH -->      the block (not sh or console) is a file, written
//	                         to PATH in the page's work directory before any
//	                         command of the page runs. Go files in one directory are one package
//	                         (a plugin's main.go, session.go and _test.go
//	                         compile together). Any language may be a file, but
//	                         a file that is not Go must be named by a command
//	                         of the page (it is checked by that command).
//	                         hosts.yaml, groups.yaml and defaults.yaml files
//	                         are loaded as an inventory directory.
//	<!-- cwd: DIR -->        run the block's commands in DIR of the work
//	                         directory.
//
// Any other HTML comment right before a fence fails the test, so a misspelt
// directive is never silently ignored.
//
// # Preambles
//
// worker: package-level variables a fragment may use without declaring them
// (it may also redeclare them with :=):
//
//	ctx     context.Context
//	h       *host.Host
//	dev     host.Device
//	conn    *host.Conn
//	inv     *inventory.Inventory
//	devices []host.Device
//	pw, en  string // a password and an enable secret
//	err     error
//
// and the imports context, errors, fmt, log, os, strings, sync, time, host,
// inventory, sdk. A new preamble is one more entry in the preambles map.
//
// # Commands: placeholders and environment
//
// Every page has a work directory (docs/_docstest*/<page>/) holding
//
//	bin/netyard    the CLI, built once by this test with go build -o
//	bin/plugins/   scrapli-ssh, netconf and httpx-api (testenv.PluginDir:
//	               built once, or taken from $NETYARD_TEST_BIN under make test)
//	inventory/     the Nornir inventory (sim.WriteInventory) of a simulator
//	               started in-process with the fleet of
//	               `netyard sim --ios 2 --eos 2 --junos 2 --netconf 1 --http 1`:
//	               devices ios1 ios2 eos1 eos2 junos1 junos2 nc1 http1
//
// and bin/ first in PATH. So blocks write `bin/netyard` or `netyard` for the
// CLI, `inventory` for an inventory directory, and rely on the default plugin
// directory ./bin/plugins ($NETYARD_PLUGIN_DIR is unset): these names are the
// placeholders, nothing is substituted. Each command runs on its own with
// `bash -c` in the work directory (or the cwd directive's), so cd and export
// do not carry over from one line to the next. A command must exit 0, unless
// its line ends with a comment saying "exits N" (`... # exits 1: ...`), then
// it must exit N.
//
// The simulator is shared by all pages, so a change a block makes to a device
// (a configuration line) is seen by later blocks. Pages run in file order:
// README.md, then docs/ in lexical order.
//
// Exceptions:
//   - lines starting with make are not run: they are what CI itself runs
//     (`make test` runs this test).
//   - `netyard sim` runs until interrupted: it is started, must print its
//     device table within 20 s, is then stopped with SIGINT and must exit 0.
//     Its --inventory-out is redirected to a scratch directory (inventory/
//     stays the in-process simulator's), and what it wrote must load.
//   - `go test ... -bench PATTERN PACKAGE` (benchmarks take minutes) is checked
//     with `go test -run '^$' -list PATTERN PACKAGE` in the repository root:
//     the package compiles and PATTERN names at least one benchmark.
package docs_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/internal/testenv"
	"github.com/netyard/netyard/inventory"
	"github.com/netyard/netyard/sdk"
	"github.com/netyard/netyard/sim"
)

// preambles are the generated code before a Go fragment. %s is the package
// name. Every import is used by a blank declaration, so a fragment need not
// use them all.
var preambles = map[string]string{
	"worker": `package %s

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/inventory"
	"github.com/netyard/netyard/sdk"
)

var (
	_ = context.Background
	_ = errors.Is
	_ = fmt.Sprint
	_ = log.Print
	_ = os.Getenv
	_ = strings.Contains
	_ = sync.OnceFunc
	_ = time.Second
	_ = host.New
	_ = inventory.Load
	_ = sdk.CapCLI
)

var (
	ctx     context.Context
	h       *host.Host
	dev     host.Device
	conn    *host.Conn
	inv     *inventory.Inventory
	devices []host.Device
	pw, en  string
	err     error
)
`,
}

// fleet is the simulator behind inventory/; keep it in step with the
// package comment.
var fleet = sim.FleetSpec{IOS: 2, EOS: 2, Junos: 2, NETCONF: 1, HTTP: 1}

// block is one fenced code block.
type block struct {
	page  *page
	lang  string
	line  int // of the first content line, 1-based
	end   int // of the last content line
	text  string
	dirs  map[string]string // directives
	errs  []string          // problems found before it runs
	isCmd bool
}

func (b *block) name() string { return fmt.Sprintf("line%d-%s", b.line-1, orNone(b.lang)) }

func (b *block) fail(format string, args ...any) {
	b.errs = append(b.errs, fmt.Sprintf(format, args...))
}

// page is one Markdown file.
type page struct {
	rel    string // from the repository root
	path   string // absolute
	blocks []*block
	work   string // work directory
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

var (
	fenceRe     = regexp.MustCompile("^ {0,3}(```+|~~~+)\\s*([^`\\s]*)")
	directiveRe = regexp.MustCompile(`^\s*<!--\s*([a-z]+):\s*(.*?)\s*-->\s*$`)
	commentRe   = regexp.MustCompile(`^\s*<!--.*-->\s*$`)
	exitsRe     = regexp.MustCompile(`\bexits? (\d+)\b`)
	vetLineRe   = regexp.MustCompile(`^(?:vet: )?(\S+\.md):(\d+)(?::\d+)?: (.*)$`)
	knownDirs   = []string{"preamble", "file", "cwd"}
)

// parsePage splits a Markdown file into its fenced blocks.
func parsePage(p *page, data string) error {
	lines := strings.Split(data, "\n")
	for i := 0; i < len(lines); i++ {
		m := fenceRe.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		fence := m[1]
		b := &block{page: p, lang: strings.ToLower(m[2]), line: i + 2, dirs: map[string]string{}}
		// Directives: comment lines just above, blank lines allowed.
		for j := i - 1; j >= 0; j-- {
			l := lines[j]
			if strings.TrimSpace(l) == "" {
				continue
			}
			if !commentRe.MatchString(l) {
				break
			}
			d := directiveRe.FindStringSubmatch(l)
			if d == nil || !slices.Contains(knownDirs, d[1]) {
				b.fail("%s:%d: %q before a code block is not a directive (known: %s)", p.rel, j+1, strings.TrimSpace(l), strings.Join(knownDirs, ", "))
				continue
			}
			if _, dup := b.dirs[d[1]]; dup {
				b.fail("%s:%d: directive %s given twice", p.rel, j+1, d[1])
			}
			b.dirs[d[1]] = d[2]
		}
		var body []string
		closed := false
		for i++; i < len(lines); i++ {
			t := strings.TrimSpace(lines[i])
			if strings.HasPrefix(t, fence[:1]) && strings.Trim(t, fence[:1]) == "" && len(t) >= len(fence) {
				closed = true
				break
			}
			body = append(body, lines[i])
		}
		if !closed {
			return fmt.Errorf("%s:%d: code block never closed", p.rel, b.line-1)
		}
		b.end = b.line + len(body) - 1
		b.text = strings.Join(body, "\n")
		if len(body) > 0 {
			b.text += "\n"
		}
		p.blocks = append(p.blocks, b)
	}
	return nil
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// findPages lists README.md and docs/**/*.md, skipping generated directories.
func findPages(t *testing.T, root string) []*page {
	t.Helper()
	var pages []*page
	add := func(path string) {
		rel, _ := filepath.Rel(root, path)
		pages = append(pages, &page{rel: filepath.ToSlash(rel), path: path})
	}
	add(filepath.Join(root, "README.md"))
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != filepath.Join(root, "docs") && (strings.HasPrefix(d.Name(), "_") || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".md") {
			add(path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pages
}

func slug(rel string) string {
	s := strings.TrimSuffix(rel, ".md")
	return strings.NewReplacer("/", "_", ".", "_", "-", "_").Replace(s)
}

func TestDocs(t *testing.T) {
	root := moduleRoot(t)
	pages := findPages(t, root)
	tmp, err := os.MkdirTemp(filepath.Join(root, "docs"), "_docstest")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })

	nGo, nCmd := 0, 0
	for _, p := range pages {
		data, err := os.ReadFile(p.path)
		if err != nil {
			t.Fatal(err)
		}
		if err := parsePage(p, string(data)); err != nil {
			t.Fatal(err)
		}
		p.work = filepath.Join(tmp, slug(p.rel))
		if err := os.MkdirAll(p.work, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, b := range p.blocks {
			prepare(b)
			switch {
			case b.lang == "go":
				nGo++
			case b.isCmd:
				nCmd++
			}
		}
		checkFilesUsed(p)
		checkInventoryFiles(p)
	}
	if nGo > 0 {
		vet(t, tmp, pages)
	}
	var env *shellEnv
	if nCmd > 0 {
		env = newShellEnv(t, root, tmp)
	}
	for _, p := range pages {
		t.Run(p.rel, func(t *testing.T) {
			if env != nil {
				env.setupPage(t, p)
			}
			for _, b := range p.blocks {
				t.Run(b.name(), func(t *testing.T) {
					for _, e := range b.errs {
						t.Error(e)
					}
					if b.isCmd && len(b.errs) == 0 {
						env.runBlock(t, b)
					}
				})
			}
		})
	}
}

// prepare checks a block's language and directives, writes its file, and
// parses what can be parsed without running anything.
func prepare(b *block) {
	p := b.page
	at := fmt.Sprintf("%s:%d", p.rel, b.line-1)
	for k := range b.dirs {
		cmd := b.lang == "sh" || b.lang == "console"
		ok := (k == "file" && !cmd) || (k == "preamble" && b.lang == "go") || (k == "cwd" && cmd)
		if !ok {
			b.fail("%s: directive %s does not apply to a %s block", at, k, orNone(b.lang))
		}
	}
	if f, ok := b.dirs["file"]; ok {
		if !filepath.IsLocal(f) {
			b.fail("%s: file %q must be a relative path inside the work directory", at, f)
			return
		}
	}
	switch b.lang {
	case "go":
		prepareGo(b)
	case "sh", "console":
		b.isCmd = true
	case "yaml", "yml":
		if f, ok := b.dirs["file"]; ok {
			writeFile(b, f, b.text)
		}
		checkYAML(b)
	case "text", "output":
		if f, ok := b.dirs["file"]; ok {
			writeFile(b, f, b.text)
		}
	default:
		if f, ok := b.dirs["file"]; ok {
			writeFile(b, f, b.text)
			return
		}
		b.fail("%s: a code block in %s is neither compiled nor run: use go, sh, console, yaml (manifest, lock file, inventory), text or output, a file directive, or teach docs/docs_test.go about it", at, orNone(b.lang))
	}
}

func writeFile(b *block, rel, content string) {
	path := filepath.Join(b.page.work, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.fail("%v", err)
		return
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		b.fail("%v", err)
	}
}

// checkFilesUsed fails a non-Go file block no command of its page names.
func checkFilesUsed(p *page) {
	var cmds strings.Builder
	for _, b := range p.blocks {
		if b.isCmd {
			cmds.WriteString(b.text)
		}
	}
	for _, b := range p.blocks {
		f, ok := b.dirs["file"]
		if !ok || strings.HasSuffix(f, ".go") || isInventoryFile(f) {
			continue
		}
		if !strings.Contains(cmds.String(), f) && !strings.Contains(cmds.String(), filepath.Base(f)) {
			b.fail("%s:%d: file %s is written but no command of the page uses it, so nothing checks it", p.rel, b.line-1, f)
		}
	}
}

func isInventoryFile(f string) bool {
	switch filepath.Base(f) {
	case "hosts.yaml", "groups.yaml", "defaults.yaml":
		return true
	}
	return false
}

// checkInventoryFiles loads every directory that file blocks made an
// inventory of.
func checkInventoryFiles(p *page) {
	dirs := map[string]*block{}
	for _, b := range p.blocks {
		if f, ok := b.dirs["file"]; ok && isInventoryFile(f) {
			dirs[filepath.Dir(f)] = b
		}
	}
	for dir, b := range dirs {
		if _, err := inventory.Load(filepath.Join(p.work, dir)); err != nil {
			b.fail("%s:%d: inventory %s: %v", p.rel, b.line-1, dir, err)
		}
	}
}

// checkYAML parses a YAML block as what its content says it is.
func checkYAML(b *block) {
	at := fmt.Sprintf("%s:%d", b.page.rel, b.line-1)
	f := b.dirs["file"]
	if isInventoryFile(f) {
		return // loaded with its directory
	}
	var top map[string]any
	if err := yaml.Unmarshal([]byte(b.text), &top); err != nil {
		b.fail("%s: not YAML: %v", at, err)
		return
	}
	tmp, err := os.MkdirTemp("", "docs-yaml-")
	if err != nil {
		b.fail("%v", err)
		return
	}
	defer os.RemoveAll(tmp)
	switch top["schema"] {
	case sdk.ManifestSchema:
		if _, err := sdk.ParseManifest(b.page.rel+":"+strconv.Itoa(b.line-1), []byte(b.text)); err != nil {
			b.fail("%s: manifest: %v", at, err)
		}
		return
	case host.LockSchema:
		path := filepath.Join(tmp, host.LockFileName)
		if err := os.WriteFile(path, []byte(b.text), 0o644); err != nil {
			b.fail("%v", err)
			return
		}
		if _, err := host.ReadLock(path); err != nil {
			b.fail("%s: lock file: %v", at, err)
		}
		return
	}
	inv := len(top) > 0
	for k := range top {
		if k != "hosts" && k != "groups" && k != "defaults" {
			inv = false
		}
	}
	if !inv {
		b.fail("%s: a YAML block must be a manifest (schema: %s), a lock file (schema: %s) or an inventory (hosts, groups, defaults)", at, sdk.ManifestSchema, host.LockSchema)
		return
	}
	path := filepath.Join(tmp, "inventory.yaml")
	if err := os.WriteFile(path, []byte(b.text), 0o644); err != nil {
		b.fail("%v", err)
		return
	}
	if _, err := inventory.Load(path); err != nil {
		b.fail("%s: inventory: %v", at, err)
	}
}

// prepareGo writes a Go block as a file of its own package (or of the
// package its file directive names).
func prepareGo(b *block) {
	p := b.page
	at := fmt.Sprintf("%s:%d", p.rel, b.line-1)
	line := fmt.Sprintf("//line %s:%d\n", p.path, b.line)
	whole := isWholeFile(b.text)
	if f, ok := b.dirs["file"]; ok {
		if !strings.HasSuffix(f, ".go") || !whole {
			b.fail("%s: a Go block with a file directive must be a whole .go file (starting with package)", at)
			return
		}
		writeFile(b, f, line+b.text)
		return
	}
	pkg := fmt.Sprintf("block%d", b.line-1)
	if whole {
		name := "doc.go"
		switch {
		case regexp.MustCompile(`(?m)^package \w+_test\b`).MatchString(b.text):
			name = "doc_test.go"
		case regexp.MustCompile(`(?m)^package main\b`).MatchString(b.text):
			name = "main.go"
		}
		writeFile(b, filepath.Join(pkg, name), line+b.text)
		return
	}
	name := b.dirs["preamble"]
	if name == "" {
		name = "worker"
	}
	pre, ok := preambles[name]
	if !ok {
		b.fail("%s: no preamble %q (have: %s)", at, name, strings.Join(sortedKeys(preambles), ", "))
		return
	}
	head := fmt.Sprintf(pre, pkg)
	// Top-level declarations?
	src := head + line + b.text
	if _, err := parser.ParseFile(token.NewFileSet(), "", src, 0); err != nil {
		src = markUsed(head + "func docBlock() error {\n" + line + b.text + "}\n")
	}
	writeFile(b, filepath.Join(pkg, "doc.go"), src)
}

func isWholeFile(text string) bool {
	for _, l := range strings.Split(text, "\n") {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "//") {
			continue
		}
		return strings.HasPrefix(t, "package ")
	}
	return false
}

// markUsed adds `_ = x` after each top-level statement of docBlock that
// declares x (as `_ = &x`), so that a fragment may end with a declaration, and a final
// `return nil` unless the fragment ends with a return (docBlock returns an
// error, so a fragment may `return err`).
func markUsed(src string) string {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, 0)
	if err != nil {
		return src // go vet reports the syntax error at the .md line
	}
	type ins struct {
		off  int
		text string
	}
	var inserts []ins
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Name.Name != "docBlock" {
			continue
		}
		if n := len(fd.Body.List); n == 0 || !isReturn(fd.Body.List[n-1]) {
			inserts = append(inserts, ins{fset.PositionFor(fd.Body.Rbrace, false).Offset, "return nil\n"})
		}
		for _, st := range fd.Body.List {
			var names []string
			switch s := st.(type) {
			case *ast.AssignStmt:
				if s.Tok == token.DEFINE {
					for _, e := range s.Lhs {
						if id, ok := e.(*ast.Ident); ok && id.Name != "_" {
							names = append(names, id.Name)
						}
					}
				}
			case *ast.DeclStmt:
				if g, ok := s.Decl.(*ast.GenDecl); ok && g.Tok == token.VAR {
					for _, sp := range g.Specs {
						for _, id := range sp.(*ast.ValueSpec).Names {
							if id.Name != "_" {
								names = append(names, id.Name)
							}
						}
					}
				}
			}
			if len(names) == 0 {
				continue
			}
			var b strings.Builder
			for _, n := range names {
				fmt.Fprintf(&b, "; _ = &%s", n) // &: a sync.WaitGroup must not be copied
			}
			inserts = append(inserts, ins{fset.PositionFor(st.End(), false).Offset, b.String()})
		}
	}
	sort.SliceStable(inserts, func(i, j int) bool { return inserts[i].off < inserts[j].off })
	for i := len(inserts) - 1; i >= 0; i-- {
		in := inserts[i]
		src = src[:in.off] + in.text + src[in.off:]
	}
	return src
}

func isReturn(st ast.Stmt) bool {
	_, ok := st.(*ast.ReturnStmt)
	return ok
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// vet type-checks and vets every generated Go package at once and hands
// each problem to the block at its .md line.
func vet(t *testing.T, tmp string, pages []*page) {
	t.Helper()
	start := time.Now()
	cmd := exec.Command("go", "vet", "./...")
	cmd.Dir = tmp
	out, err := cmd.CombinedOutput()
	t.Logf("go vet of the Go blocks: %s", time.Since(start).Round(time.Millisecond))
	if err == nil {
		return
	}
	var unmatched []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		m := vetLineRe.FindStringSubmatch(l)
		if m == nil {
			if !strings.HasPrefix(l, "# ") {
				unmatched = append(unmatched, l)
			}
			continue
		}
		path := m[1]
		if !filepath.IsAbs(path) {
			path = filepath.Join(tmp, path)
		}
		n, _ := strconv.Atoi(m[2])
		found := false
		for _, p := range pages {
			if filepath.Clean(path) != p.path {
				continue
			}
			for _, b := range p.blocks {
				if b.lang == "go" && n >= b.line && n <= b.end {
					b.fail("%s:%d: %s", p.rel, n, m[3])
					found = true
				}
			}
		}
		if !found {
			unmatched = append(unmatched, l)
		}
	}
	if len(unmatched) > 0 {
		t.Errorf("go vet of the docs' Go blocks failed (%v):\n%s", err, strings.Join(unmatched, "\n"))
	}
}

// shellEnv is what commands run against.
type shellEnv struct {
	root, bin, plugins string
	sim                *sim.Sim
}

func newShellEnv(t *testing.T, root, tmp string) *shellEnv {
	t.Helper()
	e := &shellEnv{root: root, bin: filepath.Join(tmp, "_bin")}
	start := time.Now()
	cmd := exec.Command("go", "build", "-o", filepath.Join(e.bin, "netyard"), "./cmd/netyard")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/netyard: %v\n%s", err, out)
	}
	e.plugins = testenv.PluginDir(t, "scrapli-ssh", "netconf", "httpx-api")
	s, err := sim.Fleet(context.Background(), sim.Options{}, fleet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	e.sim = s
	t.Logf("netyard, plugins and simulator ready in %s", time.Since(start).Round(time.Millisecond))
	return e
}

// setupPage gives a page's work directory bin/netyard, bin/plugins and
// inventory/.
func (e *shellEnv) setupPage(t *testing.T, p *page) {
	t.Helper()
	bin := filepath.Join(p.work, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, l := range [][2]string{{filepath.Join(e.bin, "netyard"), "netyard"}, {e.plugins, "plugins"}} {
		if err := os.Symlink(l[0], filepath.Join(bin, l[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.sim.WriteInventory(filepath.Join(p.work, "inventory")); err != nil {
		t.Fatal(err)
	}
}

func (e *shellEnv) environ(p *page) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == host.EnvPluginDir || k == "PATH" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "PATH="+filepath.Join(p.work, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// command is one command line of a block.
type command struct {
	text string
	line int
}

// commands extracts a block's command lines.
func commands(b *block) []command {
	var out []command
	lines := strings.Split(strings.TrimSuffix(b.text, "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		n := b.line + i
		if b.lang == "console" {
			if !strings.HasPrefix(l, "$ ") {
				continue
			}
			l = strings.TrimPrefix(l, "$ ")
		}
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		for strings.HasSuffix(l, "\\") && i+1 < len(lines) {
			i++
			next := lines[i]
			if b.lang == "console" {
				next = strings.TrimPrefix(next, "> ")
			}
			l = strings.TrimRight(strings.TrimSuffix(l, "\\"), " \t") + " " + strings.TrimSpace(next)
		}
		out = append(out, command{text: l, line: n})
	}
	return out
}

// splitComment returns the command without its trailing # comment.
func splitComment(s string) (cmd, comment string) {
	var quote rune
	prev := ' '
	for i, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '#' && (prev == ' ' || prev == '\t'):
			return strings.TrimSpace(s[:i]), s[i+1:]
		}
		prev = r
	}
	return strings.TrimSpace(s), ""
}

// words splits a command into shell words (quotes removed, no expansion).
func words(s string) []string {
	var (
		out   []string
		cur   strings.Builder
		quote rune
		in    bool
	)
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

var assignRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

func (e *shellEnv) runBlock(t *testing.T, b *block) {
	dir := filepath.Join(b.page.work, b.dirs["cwd"])
	cmds := commands(b)
	if len(cmds) == 0 {
		t.Errorf("%s:%d: a %s block without a command", b.page.rel, b.line-1, b.lang)
	}
	for _, c := range cmds {
		at := fmt.Sprintf("%s:%d", b.page.rel, c.line)
		line, comment := splitComment(c.text)
		want := 0
		if m := exitsRe.FindStringSubmatch(comment); m != nil {
			want, _ = strconv.Atoi(m[1])
		}
		w := words(line)
		for len(w) > 0 && assignRe.MatchString(w[0]) {
			w = w[1:]
		}
		if len(w) == 0 {
			t.Errorf("%s: no command in %q", at, c.text)
			continue
		}
		start := time.Now()
		switch {
		case w[0] == "make":
			t.Logf("%s: not run (make is what CI runs): %s", at, line)
			continue
		case isNetyard(w[0]) && subcommand(w) == "sim":
			e.runSim(t, at, dir, b.page, line)
		case w[0] == "go" && len(w) > 1 && w[1] == "test" && slices.ContainsFunc(w, func(s string) bool {
			return s == "-bench" || s == "-test.bench" || strings.HasPrefix(s, "-bench=")
		}):
			e.listBenchmarks(t, at, w)
		default:
			out, code, err := run(e.environ(b.page), dir, line, 3*time.Minute)
			switch {
			case err != nil:
				t.Errorf("%s: %s: %v\n%s", at, line, err, out)
			case code != want:
				t.Errorf("%s: %s: exit status %d, want %d\n%s", at, line, code, want, out)
			}
		}
		t.Logf("%s: %s (%s)", at, line, time.Since(start).Round(time.Millisecond))
	}
}

func isNetyard(w string) bool {
	return w == "netyard" || w == "bin/netyard" || w == "./bin/netyard"
}

// subcommand is netyard's first argument that is not a flag or a flag's value.
func subcommand(w []string) string {
	for i := 1; i < len(w); i++ {
		switch {
		case w[i] == "--plugin-dir" || w[i] == "--log-level":
			i++
		case strings.HasPrefix(w[i], "-"):
		default:
			return w[i]
		}
	}
	return ""
}

// run runs line with bash in its own process group and returns its
// combined output and exit status.
func run(env []string, dir, line string, timeout time.Duration) (string, int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", line)
	cmd.Dir, cmd.Env = dir, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		return out.String(), -1, fmt.Errorf("timed out after %s", timeout)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.String(), ee.ExitCode(), nil
	}
	return out.String(), 0, err
}

var inventoryOutRe = regexp.MustCompile(`--inventory-out(?:=|\s+)(\S+)`)

// runSim starts netyard sim, waits for its device table, stops it with
// SIGINT and checks the inventory it wrote.
func (e *shellEnv) runSim(t *testing.T, at, dir string, p *page, line string) {
	t.Helper()
	scratch := ""
	if inventoryOutRe.MatchString(line) {
		scratch = t.TempDir()
		line = inventoryOutRe.ReplaceAllString(line, "--inventory-out "+scratch)
	}
	cmd := exec.Command("bash", "-c", line)
	cmd.Dir, cmd.Env = dir, e.environ(p)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = pw, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", at, err)
	}
	started := make(chan struct{})
	var (
		mu  sync.Mutex
		out strings.Builder
	)
	go func() {
		sc := bufio.NewScanner(pr)
		once := sync.OnceFunc(func() { close(started) })
		for sc.Scan() {
			mu.Lock()
			out.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if strings.Contains(sc.Text(), "devices running") {
				once()
			}
		}
		io.Copy(io.Discard, pr)
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); pw.Close() }()
	output := func() string {
		mu.Lock()
		defer mu.Unlock()
		return out.String() + stderr.String()
	}
	select {
	case <-started:
	case err := <-exited:
		t.Errorf("%s: %s: exited before starting its devices (%v):\n%s", at, line, err, output())
		return
	case <-time.After(20 * time.Second):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		t.Errorf("%s: %s: no device table within 20s:\n%s", at, line, output())
		return
	}
	syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("%s: %s: after SIGINT: %v, want exit 0:\n%s", at, line, err, output())
		}
	case <-time.After(10 * time.Second):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		t.Errorf("%s: %s: still running 10s after SIGINT:\n%s", at, line, output())
	}
	if scratch != "" {
		if inv, err := inventory.Load(scratch); err != nil {
			t.Errorf("%s: the inventory it wrote does not load: %v", at, err)
		} else if len(inv.Hosts()) == 0 {
			t.Errorf("%s: the inventory it wrote has no hosts", at)
		}
	}
}

// listBenchmarks checks `go test ... -bench PATTERN PKG` without running the
// benchmarks: PKG compiles and PATTERN names at least one benchmark.
func (e *shellEnv) listBenchmarks(t *testing.T, at string, w []string) {
	t.Helper()
	var pattern string
	var pkgs []string
	for i := 2; i < len(w); i++ {
		a := w[i]
		switch {
		case a == "-bench" || a == "-test.bench":
			if i+1 < len(w) {
				pattern = w[i+1]
			}
			i++
		case strings.HasPrefix(a, "-bench="):
			pattern = strings.TrimPrefix(a, "-bench=")
		case a == "-run" || a == "-benchtime" || a == "-count" || a == "-test.run" || a == "-test.benchtime":
			i++
		case strings.HasPrefix(a, "-"):
		default:
			pkgs = append(pkgs, a)
		}
	}
	if pattern == "" || len(pkgs) == 0 {
		t.Errorf("%s: cannot tell the benchmark pattern and package of %q", at, strings.Join(w, " "))
		return
	}
	args := append([]string{"test", "-run", "^$", "-list", pattern}, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Dir = e.root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("%s: go %s: %v\n%s", at, strings.Join(args, " "), err, out)
		return
	}
	if !regexp.MustCompile(`(?m)^Benchmark`).Match(out) {
		t.Errorf("%s: -bench %s matches no benchmark in %s:\n%s", at, pattern, strings.Join(pkgs, " "), out)
	}
}

// TestParsing checks the block and command parsing the docs test relies on.
func TestParsing(t *testing.T) {
	p := &page{rel: "x.md"}
	md := "text\n<!-- cwd: sub -->\n\n```console\n$ netyard run -i inventory \\\n> --get-version   # exits 1: a comment\noutput line\n$ make demo\n```\n"
	if err := parsePage(p, md); err != nil {
		t.Fatal(err)
	}
	if len(p.blocks) != 1 {
		t.Fatalf("got %d blocks, want 1", len(p.blocks))
	}
	b := p.blocks[0]
	if b.lang != "console" || b.dirs["cwd"] != "sub" || b.line != 5 {
		t.Errorf("block: lang %q, dirs %v, line %d", b.lang, b.dirs, b.line)
	}
	cmds := commands(b)
	if len(cmds) != 2 || cmds[0].line != 5 || cmds[1].text != "make demo" {
		t.Fatalf("commands: %+v", cmds)
	}
	line, comment := splitComment(cmds[0].text)
	if line != "netyard run -i inventory --get-version" || exitsRe.FindStringSubmatch(comment)[1] != "1" {
		t.Errorf("splitComment: %q, %q", line, comment)
	}
	if w := words(`X=1 netyard run --command 'show ip # x' --x "a b"`); len(w) != 7 || w[4] != "show ip # x" || w[6] != "a b" {
		t.Errorf("words: %q", w)
	}
	if c, _ := splitComment(`netyard run --command 'show #x' # exits 2`); c != `netyard run --command 'show #x'` {
		t.Errorf("splitComment kept the quoted #: %q", c)
	}
	if got := subcommand(words("netyard --plugin-dir run plugins list")); got != "plugins" {
		t.Errorf("subcommand: %q", got)
	}
	src := markUsed("package p\n\nfunc docBlock() error {\n\tx, err := 1, error(nil)\n\tvar y int\n}\n")
	for _, want := range []string{"_ = &x; _ = &err", "_ = &y", "return nil"} {
		if !strings.Contains(src, want) {
			t.Errorf("markUsed: no %q in\n%s", want, src)
		}
	}
	if !isWholeFile("// Command x.\npackage main\n") || isWholeFile("x := 1\n") {
		t.Error("isWholeFile")
	}

	// Blocks that must fail: an unknown language, no language, a misspelt
	// directive, a YAML block that is none of the known kinds.
	q := &page{rel: "y.md", work: t.TempDir()}
	md = "```python\nprint(1)\n```\n```\nx\n```\n<!-- preambel: worker -->\n```text\nx\n```\n```yaml\na: 1\n```\n"
	if err := parsePage(q, md); err != nil {
		t.Fatal(err)
	}
	for _, b := range q.blocks {
		prepare(b)
		if len(b.errs) == 0 {
			t.Errorf("a %s block at line %d passed", orNone(b.lang), b.line)
		}
	}
}
