package host

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/netyard/netyard/sdk"
)

// Entry is one registered provides entry of one plugin.
type Entry struct {
	Plugin, Version         string
	Type, Library           string
	Platforms, Capabilities []string
	Manifest                *sdk.Manifest
}

// Key is the entry's "type/library".
func (e *Entry) Key() string { return e.Type + "/" + e.Library }

// HasCapability reports whether the entry declares capability c.
func (e *Entry) HasCapability(c string) bool { return slices.Contains(e.Capabilities, c) }

// String is the entry as Explain and errors name it: "plugin type/library".
func (e *Entry) String() string { return e.Plugin + " " + e.Key() }

func (e *Entry) servesPlatform(p string) bool {
	return slices.Contains(e.Platforms, p) || slices.Contains(e.Platforms, "*")
}

func (e *Entry) candidate() Candidate {
	return Candidate{Plugin: e.Plugin, Type: e.Type, Library: e.Library, Capabilities: e.Capabilities}
}

// Checksum states of PluginStatus.Pinned and PluginStatus.Locked.
const (
	SumOK         = "ok"
	SumMismatch   = "mismatch"
	SumUnpinned   = "unpinned"          // the manifest has no sha256
	SumNotLocked  = "not locked"        // a lock file exists but does not list the plugin
	SumNoLockFile = "no lock file"      // no lock file exists
	SumLockBroken = "lock file invalid" // the lock file exists but cannot be read
	SumUnknown    = "unknown"           // the binary could not be hashed
)

// hostConfigLabel is the File of problems in Config.Defaults.
const hostConfigLabel = "host config"

// PluginStatus is what discovery found out about one valid manifest, whether
// or not its plugin was registered.
type PluginStatus struct {
	Manifest   *sdk.Manifest
	SHA256     string  // of the binary; "" when it could not be read
	Pinned     string  // the manifest's sha256: SumOK, SumMismatch, SumUnpinned, SumUnknown
	Locked     string  // the lock file's sha256: SumOK, SumMismatch, SumNotLocked, SumNoLockFile, SumLockBroken, SumUnknown
	Registered bool    // false: left out, Problems says why
	Problems   []error // *RegistrationError each

	// lockable: every check passed except the lock file's, so
	// `netyard plugins lock` may pin it.
	lockable bool
}

// claim is a default choice: the entry key it names, who made it.
type claim struct {
	key    string // type/library
	plugin string // "" for host config
	source string // manifest path, or "host config"
	field  string
}

// Registry is the result of discovery: the registered entries, the
// defaults, and every problem found on the way. It is safe for concurrent
// use; nothing in it launches a plugin.
type Registry struct {
	log      hclog.Logger
	dirs     []string
	lockPath string
	lock     *Lock // nil when there is no lock file
	lockErr  error // the lock file exists but cannot be used: every plugin is refused

	infos     []*PluginStatus          // valid manifests, discovery order
	manifests map[string]*sdk.Manifest // registered, by name
	entries   map[string][]*Entry      // by platform ("*" included)
	problems  []error

	// Defaults, keyed by platform and by "platform/type".
	hostPlatform, hostType         map[string]claim
	manifestPlatform, manifestType map[string]claim

	sums sumCache
}

// Discover scans the plugin directories, and one level of sub-directories,
// for sdk.ManifestFile, validates each manifest, applies the trust checks
// (see CheckBinary) and registers each provides entry under (platform, type,
// library). It never launches anything and never fails as a whole: every
// problem is a *RegistrationError in Problems() naming the file, the field
// and what was expected, and the plugin at fault is left out.
//
// Directories are scanned in order and manifests in lexical order within
// each, so when two plugins conflict (same name, or the same (platform,
// type, library)) the first one found stays registered and the later one is
// left out; the error names both files.
//
// A missing directory is a problem when it was named (Config.PluginDirs or
// $NETYARD_PLUGIN_DIR); the implicit ./bin/plugins may be absent, which
// leaves the registry empty.
//
// cfg.Plugins[name].Disabled leaves a plugin out silently (logged at debug).
// cfg.Defaults beat the manifests' default_for claims (logged at info).
func Discover(cfg Config) *Registry {
	log := cfg.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	r := &Registry{
		log:              log,
		manifests:        map[string]*sdk.Manifest{},
		entries:          map[string][]*Entry{},
		hostPlatform:     map[string]claim{},
		hostType:         map[string]claim{},
		manifestPlatform: map[string]claim{},
		manifestType:     map[string]claim{},
	}
	explicit := len(cfg.PluginDirs) > 0 || os.Getenv(EnvPluginDir) != ""
	r.dirs = make([]string, 0, len(cfg.pluginDirs()))
	for _, d := range cfg.pluginDirs() {
		r.dirs = append(r.dirs, absPath(d))
	}
	r.lockPath = absPath(cfg.lockFile())
	r.loadLock()

	// Parse every manifest; a disabled plugin is skipped before anything
	// else so that it can neither conflict nor fail.
	var parsed []*sdk.Manifest
	for _, path := range r.scan(explicit) {
		m, err := readManifest(path)
		if err != nil {
			r.problems = append(r.problems, manifestProblems(path, m, err)...)
			continue
		}
		if cfg.Plugins[m.Name].Disabled {
			r.log.Debug("plugin disabled by host config", "plugin", m.Name, "manifest", path)
			continue
		}
		parsed = append(parsed, m)
	}

	byName := map[string]*sdk.Manifest{}
	for _, m := range parsed {
		if first, dup := byName[m.Name]; dup {
			r.problems = append(r.problems, &RegistrationError{Plugin: m.Name, File: m.Path, Field: "name",
				Reason: fmt.Sprintf("plugin name %q is already used by %s; plugin names must be unique across the plugin directories: remove one copy (this one is left out)", m.Name, first.Path)})
			continue
		}
		byName[m.Name] = m
		info := r.inspect(m)
		r.infos = append(r.infos, info)
		if len(info.Problems) > 0 {
			r.problems = append(r.problems, info.Problems...)
			continue
		}
		if errs := r.conflicts(m); len(errs) > 0 {
			info.Problems, info.lockable = errs, false
			r.problems = append(r.problems, errs...)
			continue
		}
		r.register(m)
		info.Registered = true
	}
	r.manifestDefaults(cfg.Defaults)
	r.hostDefaults(cfg.Defaults)
	return r
}

// Problems returns every problem discovery found, each a *RegistrationError.
func (r *Registry) Problems() []error { return slices.Clone(r.problems) }

// Manifests returns the registered plugins' manifests, sorted by name.
func (r *Registry) Manifests() []*sdk.Manifest {
	out := make([]*sdk.Manifest, 0, len(r.manifests))
	for _, name := range sortedKeys(r.manifests) {
		out = append(out, r.manifests[name])
	}
	return out
}

// Manifest returns the registered plugin's manifest, or nil.
func (r *Registry) Manifest(name string) *sdk.Manifest { return r.manifests[name] }

// Plugins returns what discovery found out about every valid manifest,
// registered or left out, sorted by name: its checksum states and problems.
func (r *Registry) Plugins() []*PluginStatus {
	out := slices.Clone(r.infos)
	slices.SortStableFunc(out, func(a, b *PluginStatus) int { return strings.Compare(a.Manifest.Name, b.Manifest.Name) })
	return out
}

// Entries returns the entries that serve platform, those registered for
// "*" included, sorted by type/library.
func (r *Registry) Entries(platform string) []*Entry {
	out := slices.Clone(r.entries[platform])
	if platform != "*" {
		out = append(out, r.entries["*"]...)
	}
	slices.SortStableFunc(out, func(a, b *Entry) int {
		if c := strings.Compare(a.Key(), b.Key()); c != 0 {
			return c
		}
		return strings.Compare(a.Plugin, b.Plugin)
	})
	return out
}

// Platforms returns the platforms entries are registered for, sorted; "*"
// is among them when an entry serves any platform.
func (r *Registry) Platforms() []string { return sortedKeys(r.entries) }

// Dirs returns the plugin directories that were scanned, as absolute paths.
func (r *Registry) Dirs() []string { return slices.Clone(r.dirs) }

// LockFile returns the lock file's path, whether or not it exists.
func (r *Registry) LockFile() string { return r.lockPath }

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}

// scan lists the manifest files of the plugin directories: dir/ManifestFile
// and dir/*/ManifestFile (symlinked sub-directories are followed; hidden
// ones are skipped). A directory named twice is scanned once.
func (r *Registry) scan(explicit bool) []string {
	var paths []string
	seen := map[string]bool{}
	for _, dir := range r.dirs {
		if seen[dir] {
			continue
		}
		seen[dir] = true
		fi, err := os.Stat(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist) && !explicit:
			r.log.Debug("default plugin directory does not exist", "dir", dir)
			continue
		case errors.Is(err, fs.ErrNotExist):
			r.problems = append(r.problems, &RegistrationError{File: dir,
				Reason: "plugin directory does not exist; create it, or fix --plugin-dir / $" + EnvPluginDir})
			continue
		case err != nil:
			r.problems = append(r.problems, &RegistrationError{File: dir, Reason: "cannot read plugin directory", base: base{Cause: err}})
			continue
		case !fi.IsDir():
			r.problems = append(r.problems, &RegistrationError{File: dir, Reason: "not a directory; a plugin directory holds " + sdk.ManifestFile + " files, or sub-directories with one each"})
			continue
		}
		if isFile(filepath.Join(dir, sdk.ManifestFile)) {
			paths = append(paths, filepath.Join(dir, sdk.ManifestFile))
		}
		des, err := os.ReadDir(dir)
		if err != nil {
			r.problems = append(r.problems, &RegistrationError{File: dir, Reason: "cannot list plugin directory", base: base{Cause: err}})
			continue
		}
		for _, de := range des { // ReadDir sorts by name
			if strings.HasPrefix(de.Name(), ".") {
				continue
			}
			sub := filepath.Join(dir, de.Name())
			if fi, err := os.Stat(sub); err != nil || !fi.IsDir() {
				continue
			}
			if p := filepath.Join(sub, sdk.ManifestFile); isFile(p) {
				paths = append(paths, p)
			}
		}
	}
	return paths
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

func readManifest(path string) (*sdk.Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &RegistrationError{File: path, Reason: "cannot read manifest", base: base{Cause: err}}
	}
	return sdk.ParseManifest(path, data)
}

// manifestProblems turns a manifest's validation errors into one
// RegistrationError per field.
func manifestProblems(path string, m *sdk.Manifest, err error) []error {
	var name string
	if m != nil {
		name = m.Name
	}
	var mes sdk.ManifestErrors
	if !errors.As(err, &mes) {
		var re *RegistrationError
		if errors.As(err, &re) {
			return []error{re}
		}
		return []error{&RegistrationError{Plugin: name, File: path, Reason: "invalid manifest", base: base{Cause: err}}}
	}
	out := make([]error, 0, len(mes))
	for _, me := range mes {
		reason := "expected " + me.Expected
		if me.Got != "" {
			reason += ", got " + me.Got
		}
		out = append(out, &RegistrationError{Plugin: name, File: me.File, Field: me.Field, Reason: reason})
	}
	return out
}

// conflicts checks m's entries against the registered ones: no (platform,
// type, library) may be served by two plugins ("*" overlaps every
// platform), since a request could not tell them apart.
func (r *Registry) conflicts(m *sdk.Manifest) []error {
	var errs []error
	for i, pe := range m.Provides {
		key := pe.Type + "/" + pe.Library
	platforms:
		for _, plat := range pe.Platforms {
			var others []*Entry
			if plat == "*" {
				for _, p := range sortedKeys(r.entries) {
					others = append(others, r.entries[p]...)
				}
			} else {
				others = r.Entries(plat)
			}
			for _, o := range others {
				if o.Key() != key {
					continue
				}
				where := "platform " + plat
				if plat == "*" || slices.Contains(o.Platforms, "*") {
					where = "overlapping platforms (\"*\" is every platform)"
				}
				errs = append(errs, &RegistrationError{Plugin: m.Name, File: m.Path, Field: fmt.Sprintf("provides[%d]", i),
					Reason: fmt.Sprintf("%s on %s is already served by plugin %s (%s); a (platform, type, library) must have one plugin: remove the entry from one of the manifests (this plugin is left out)",
						key, where, o.Plugin, o.Manifest.Path)})
				break platforms
			}
		}
	}
	return errs
}

func (r *Registry) register(m *sdk.Manifest) {
	r.manifests[m.Name] = m
	for _, pe := range m.Provides {
		e := &Entry{Plugin: m.Name, Version: m.Version, Type: pe.Type, Library: pe.Library,
			Platforms: slices.Clone(pe.Platforms), Capabilities: slices.Clone(pe.Capabilities), Manifest: m}
		for _, p := range pe.Platforms {
			r.entries[p] = append(r.entries[p], e)
		}
	}
}

// manifestDefaults collects the registered manifests' default_for claims.
// Two claims on one default are a problem naming both files and neither is
// used, unless the host config sets that default (then it is logged).
func (r *Registry) manifestDefaults(d Defaults) {
	platformClaims := map[string][]claim{}
	typeClaims := map[string][]claim{}
	for _, m := range r.Manifests() {
		for i, pe := range m.Provides {
			key := pe.Type + "/" + pe.Library
			for j, p := range pe.DefaultFor.Platforms {
				platformClaims[p] = append(platformClaims[p], claim{key: key, plugin: m.Name, source: m.Path,
					field: fmt.Sprintf("provides[%d].default_for.platforms[%d]", i, j)})
			}
			for j, p := range pe.DefaultFor.Types {
				typeClaims[p+"/"+pe.Type] = append(typeClaims[p+"/"+pe.Type], claim{key: key, plugin: m.Name, source: m.Path,
					field: fmt.Sprintf("provides[%d].default_for.types[%d]", i, j)})
			}
		}
	}
	settle := func(claims map[string][]claim, into map[string]claim, what func(string) string, hostSet func(string) bool, hostField func(string) string) {
		for _, k := range sortedKeys(claims) {
			cs := claims[k]
			if len(cs) == 1 {
				into[k] = cs[0]
				continue
			}
			if hostSet(k) {
				r.log.Info("conflicting manifest default claims settled by host config", "default", what(k),
					"claims", claimList(cs))
				continue
			}
			for _, c := range cs[1:] {
				r.problems = append(r.problems, &RegistrationError{Plugin: c.plugin, File: c.source, Field: c.field,
					Reason: fmt.Sprintf("the default for %s is claimed by both plugin %s (%s, %s) and plugin %s (%s, %s); neither claim is used: remove one, or choose in the host config (%s)",
						what(k), cs[0].plugin, cs[0].source, cs[0].key, c.plugin, c.source, c.key, hostField(k))})
			}
		}
	}
	settle(platformClaims, r.manifestPlatform,
		func(p string) string { return "platform " + p },
		func(p string) bool { _, ok := d.Platforms[p]; return ok },
		func(p string) string { return fmt.Sprintf("Defaults.Platforms[%q]", p) })
	settle(typeClaims, r.manifestType,
		func(k string) string { p, t, _ := strings.Cut(k, "/"); return "(" + p + ", " + t + ")" },
		func(k string) bool { _, ok := d.Types[k]; return ok },
		func(k string) string { return fmt.Sprintf("Defaults.Types[%q]", k) })
}

func claimList(cs []claim) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s %s (%s)", c.plugin, c.key, c.source)
	}
	return strings.Join(parts, ", ")
}

// hostDefaults validates and records cfg.Defaults: each must name an entry
// that is registered for the platform.
func (r *Registry) hostDefaults(d Defaults) {
	for _, p := range sortedKeys(d.Platforms) {
		v := d.Platforms[p]
		field := fmt.Sprintf("Defaults.Platforms[%q]", p)
		typ, lib, ok := strings.Cut(v, "/")
		if !ok || typ == "" || lib == "" {
			r.problems = append(r.problems, &RegistrationError{File: hostConfigLabel, Field: field,
				Reason: fmt.Sprintf("expected \"type/library\", such as ssh/scrapli, got %q", v)})
			continue
		}
		if !r.hasEntry(p, v) {
			r.problems = append(r.problems, &RegistrationError{File: hostConfigLabel, Field: field,
				Reason: fmt.Sprintf("default %s for platform %s is not registered; registered for %s: %s", v, p, p, r.available(p))})
			continue
		}
		r.hostPlatform[p] = claim{key: v, source: hostConfigLabel, field: field}
		if mc, ok := r.manifestPlatform[p]; ok && mc.key != v {
			r.log.Info("host config default overrides manifest claim", "platform", p, "default", v,
				"manifest_claim", mc.key, "manifest", mc.source)
		}
	}
	for _, k := range sortedKeys(d.Types) {
		lib := d.Types[k]
		field := fmt.Sprintf("Defaults.Types[%q]", k)
		p, typ, ok := strings.Cut(k, "/")
		if !ok || p == "" || typ == "" || lib == "" || strings.Contains(lib, "/") {
			r.problems = append(r.problems, &RegistrationError{File: hostConfigLabel, Field: field,
				Reason: fmt.Sprintf("expected \"platform/type\" mapped to a library, such as \"cisco_iosxe/ssh\": \"scrapli\", got %q: %q", k, lib)})
			continue
		}
		key := typ + "/" + lib
		if !r.hasEntry(p, key) {
			r.problems = append(r.problems, &RegistrationError{File: hostConfigLabel, Field: field,
				Reason: fmt.Sprintf("default %s for (%s, %s) is not registered; registered for %s: %s", key, p, typ, p, r.available(p))})
			continue
		}
		r.hostType[k] = claim{key: key, source: hostConfigLabel, field: field}
		if mc, ok := r.manifestType[k]; ok && mc.key != key {
			r.log.Info("host config default overrides manifest claim", "platform", p, "type", typ, "default", key,
				"manifest_claim", mc.key, "manifest", mc.source)
		}
	}
}

func (r *Registry) hasEntry(platform, key string) bool {
	return slices.ContainsFunc(r.Entries(platform), func(e *Entry) bool { return e.Key() == key })
}

// available lists what exists for a platform, as "type/library (plugin)".
func (r *Registry) availableList(platform string) []string {
	var out []string
	for _, e := range r.Entries(platform) {
		out = append(out, e.Key()+" ("+e.Plugin+")")
	}
	return out
}

func (r *Registry) available(platform string) string {
	if l := r.availableList(platform); len(l) > 0 {
		return strings.Join(l, ", ")
	}
	return "nothing"
}
