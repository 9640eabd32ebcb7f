// Package testenv holds the helpers netyard's tests share: plugin binaries
// built once per test run, throwaway plugin directories, and process and
// file-descriptor leak checks. Import it from _test.go files only.
package testenv

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/netyard/netyard/sdk"
)

// EnvTestBin names directories (colon-separated) of prebuilt plugins
// (<dir>/<name>/ holding the binary and its manifest), as `make build`
// leaves them in bin/plugins and bin/testplugins. When
// it is set, PluginBin builds nothing. A relative path is taken from the
// module root.
const EnvTestBin = "NETYARD_TEST_BIN"

// modulePath is the main module; only its packages are hashed for the cache.
const modulePath = "github.com/netyard/netyard"

// PluginPackage returns the module-relative package directory of the plugin
// called name: plugins/<name> for real plugins, with exceptions listed in
// pluginPackages.
func PluginPackage(name string) string {
	if p, ok := pluginPackages[name]; ok {
		return p
	}
	return "plugins/" + name
}

// pluginPackages lists the plugins that do not live under plugins/.
var pluginPackages = map[string]string{
	"testplugin": "internal/testplugin",
}

var (
	buildMu sync.Mutex
	built   = map[string]buildResult{} // by plugin name, for this test process
)

type buildResult struct {
	dir string
	err error
}

// PluginBin returns the directory holding the built binary of the plugin
// called name and its manifest. The binary is built once per source state:
// from $NETYARD_TEST_BIN when set, else with `go build` into a per-user cache
// keyed by a hash of every source file of the module the plugin is built
// from, under a file lock so that test packages running in parallel build it
// once between them. Do not modify what it returns; use PluginDir for a copy.
func PluginBin(tb testing.TB, name string) string {
	tb.Helper()
	if env := os.Getenv(EnvTestBin); env != "" {
		// A colon-separated list: the first directory holding <name>/ wins.
		var tried []string
		for _, dir := range filepath.SplitList(env) {
			if !filepath.IsAbs(dir) {
				root, err := moduleRoot()
				if err != nil {
					tb.Fatalf("testenv: %s=%s is relative: %v", EnvTestBin, env, err)
				}
				dir = filepath.Join(root, dir)
			}
			dir = filepath.Join(dir, name)
			if _, err := readManifest(dir); err == nil {
				return dir
			}
			tried = append(tried, dir)
		}
		tb.Fatalf("testenv: plugin %s not in %s=%s (looked in %v): run `make build`, or unset %s to build it here", name, EnvTestBin, env, tried, EnvTestBin)
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	r, ok := built[name]
	if !ok {
		r.dir, r.err = buildPlugin(name)
		built[name] = r
	}
	if r.err != nil {
		tb.Fatalf("testenv: build plugin %s: %v", name, r.err)
	}
	return r.dir
}

// BinaryIn returns the path of the binary of plugin name in a plugin
// directory made by PluginDir (or a PluginBin directory when name is "").
func BinaryIn(tb testing.TB, dir, name string) string {
	tb.Helper()
	m, err := readManifest(filepath.Join(dir, name))
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	return m.CommandPath()
}

func readManifest(dir string) (*sdk.Manifest, error) {
	path := filepath.Join(dir, sdk.ManifestFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := sdk.ParseManifest(path, data)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(m.CommandPath()); err != nil {
		return nil, fmt.Errorf("manifest %s: binary: %w", path, err)
	}
	return m, nil
}

func buildPlugin(name string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	pkg := PluginPackage(name)
	src := filepath.Join(root, filepath.FromSlash(pkg))
	manifestPath := filepath.Join(src, sdk.ManifestFile)
	manifest, err := os.ReadFile(manifestPath)
	if err != nil {
		return "", fmt.Errorf("no plugin %q: %w", name, err)
	}
	m, err := sdk.ParseManifest(manifestPath, manifest)
	if err != nil {
		return "", err
	}
	hash, err := sourceHash(root, pkg, manifest)
	if err != nil {
		return "", err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = filepath.Join(os.TempDir(), fmt.Sprintf("netyard-test-cache-%d", os.Getuid()))
	}
	base := filepath.Join(cache, "netyard-test", hash)
	dir := filepath.Join(base, name)
	if _, err := os.Stat(dir); err == nil {
		now := time.Now()
		_ = os.Chtimes(base, now, now) // in use: keep it from pruneCache
		return dir, nil                // renamed into place only once complete
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", err
	}
	unlock, err := lockFile(filepath.Join(base, name+".lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(dir); err == nil {
		return dir, nil // another test process built it while we waited
	}
	tmp, err := os.MkdirTemp(base, name+".tmp-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, filepath.Base(m.Command))
	cmd := exec.Command("go", "build", "-o", bin, "./"+pkg)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./%s: %v\n%s", pkg, err, out)
	}
	if err := os.WriteFile(filepath.Join(tmp, sdk.ManifestFile), manifest, 0o644); err != nil {
		return "", err
	}
	if err := os.Chmod(bin, 0o755); err != nil {
		return "", err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", err
	}
	pruneCache(filepath.Dir(base), base)
	return dir, nil
}

// pruneCache removes builds of other source states not touched for a day.
// Every build touches its directory, so one in use is not removed.
func pruneCache(root, keep string) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range ents {
		p := filepath.Join(root, e.Name())
		if info, err := e.Info(); err == nil && e.IsDir() && p != keep && time.Since(info.ModTime()) > 24*time.Hour {
			_ = os.RemoveAll(p)
		}
	}
}

func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// sourceHash hashes what the plugin binary is built from: the Go toolchain
// and the build flags it inherits, go.mod, go.sum, the manifest and every source file of the module's (and
// locally replaced modules') packages the plugin imports.
func sourceHash(root, pkg string, manifest []byte) (string, error) {
	cmd := exec.Command("go", "list", "-deps", "-json=Dir,GoFiles,CgoFiles,EmbedFiles,Module", "./"+pkg)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list ./%s: %v\n%s", pkg, err, stderr.Bytes())
	}
	type module struct {
		Path, Version string
		Main          bool
		Replace       *module
	}
	var files []string
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			Dir                           string
			GoFiles, CgoFiles, EmbedFiles []string
			Module                        *module
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return "", fmt.Errorf("go list ./%s: %w", pkg, err)
		}
		local := p.Module != nil && (p.Module.Main || p.Module.Replace != nil && p.Module.Replace.Version == "")
		if !local {
			continue // the standard library and versioned modules are pinned by the toolchain and go.sum
		}
		for _, f := range append(append(p.GoFiles, p.CgoFiles...), p.EmbedFiles...) {
			files = append(files, filepath.Join(p.Dir, f))
		}
	}
	sort.Strings(files)
	h := sha256.New()
	fmt.Fprintf(h, "%s %s/%s GOFLAGS=%q CGO_ENABLED=%q\n%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH,
		os.Getenv("GOFLAGS"), os.Getenv("CGO_ENABLED"), manifest)
	for _, f := range append([]string{filepath.Join(root, "go.mod"), filepath.Join(root, "go.sum")}, files...) {
		data, err := os.ReadFile(f)
		if err != nil && !(errors.Is(err, os.ErrNotExist) && strings.HasSuffix(f, "go.sum")) {
			return "", err
		}
		rel, _ := filepath.Rel(root, f)
		fmt.Fprintf(h, "%s %d\n", rel, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))[:20], nil
}

// moduleRoot finds the directory of the main module's go.mod: from this
// file's compile-time path, else upwards from the working directory.
func moduleRoot() (string, error) {
	var starts []string
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		starts = append(starts, filepath.Dir(file))
	}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	for _, dir := range starts {
		for {
			data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
			if err == nil && isMainModule(data) {
				return dir, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", fmt.Errorf("cannot find the go.mod of module %s", modulePath)
}

func isMainModule(gomod []byte) bool {
	for line := range strings.Lines(string(gomod)) {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "module" && strings.Trim(f[1], `"`) == modulePath {
			return true
		}
	}
	return false
}
