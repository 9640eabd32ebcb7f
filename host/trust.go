package host

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/netyard/netyard/sdk"
)

// CheckBinary re-checks a registered plugin's binary right before it is
// launched: the same trust checks as discovery, against the lock file read
// at discovery. The binary's hash is cached by (path, size, mtime, inode,
// ctime), so a launch rehashes only a binary that changed. It returns nil or
// the first problem, a *RegistrationError saying what is wrong and what to
// do.
func (r *Registry) CheckBinary(m *sdk.Manifest) error {
	if m == nil {
		return &RegistrationError{Reason: "no manifest"}
	}
	if reg := r.manifests[m.Name]; reg == nil || reg.Path != m.Path {
		return &RegistrationError{Plugin: m.Name, File: m.Path,
			Reason: "this manifest is not registered; only plugins found at discovery are launched (netyard plugins list)"}
	}
	if info := r.inspect(m); len(info.Problems) > 0 {
		return info.Problems[0]
	}
	return nil
}

// inspect runs the trust checks on one valid manifest:
//   - the command resolves, after symlinks, to a regular executable file
//     inside the manifest's directory;
//   - neither that directory (nor any directory between it and the binary),
//     the manifest, nor the binary is writable by group or others;
//   - the binary's sha256 equals the manifest's sha256 when present, and the
//     lock file's when a lock file exists.
func (r *Registry) inspect(m *sdk.Manifest) *PluginStatus {
	info := &PluginStatus{Manifest: m, Pinned: SumUnknown, Locked: SumUnknown}
	fail := func(file, field, reason string, cause error) {
		info.Problems = append(info.Problems, &RegistrationError{Plugin: m.Name, File: file, Field: field, Reason: reason, base: base{Cause: cause}})
	}

	dir, err := filepath.EvalSymlinks(filepath.Dir(m.Path))
	if err != nil {
		fail(m.Path, "", "cannot resolve the plugin directory", err)
		return info
	}
	if fi, err := os.Stat(dir); err == nil && fi.Mode().Perm()&0o022 != 0 {
		fail(m.Path, "", fmt.Sprintf("plugin directory %s is writable by group or others (mode %04o), so anyone could swap the binary: run chmod go-w %s", dir, fi.Mode().Perm(), dir), nil)
	}
	// The configured plugin directory holding this plugin's directory:
	// whoever can write there can put another directory, manifest and
	// binary in the plugin's place.
	if root := filepath.Dir(filepath.Dir(m.Path)); slices.Contains(r.dirs, root) {
		if fi, err := os.Stat(root); err == nil && fi.Mode().Perm()&0o022 != 0 {
			fail(m.Path, "", fmt.Sprintf("plugin directory %s is writable by group or others (mode %04o), so anyone could replace the plugin's directory: run chmod go-w %s", root, fi.Mode().Perm(), root), nil)
		}
	}
	if fi, err := os.Stat(m.Path); err == nil && fi.Mode().Perm()&0o022 != 0 {
		fail(m.Path, "", fmt.Sprintf("manifest is writable by group or others (mode %04o): run chmod go-w %s", fi.Mode().Perm(), m.Path), nil)
	}

	cmd := m.CommandPath()
	real, err := filepath.EvalSymlinks(cmd)
	if err != nil {
		fail(m.Path, "command", fmt.Sprintf("plugin binary %s cannot be found: build or install it beside the manifest, or fix command", cmd), err)
		return info
	}
	rel, err := filepath.Rel(dir, real)
	if err != nil || !filepath.IsLocal(rel) {
		fail(m.Path, "command", fmt.Sprintf("%s resolves to %s, outside the plugin directory %s: the binary must live in the plugin's directory (a symlink must not leave it)", cmd, real, dir), nil)
		return info
	}
	// Directories between the manifest's and the binary's (command: bin/x).
	for d := filepath.Dir(real); d != dir && len(d) > len(dir); d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o022 != 0 {
			fail(m.Path, "command", fmt.Sprintf("directory %s is writable by group or others (mode %04o): run chmod go-w %s", d, fi.Mode().Perm(), d), nil)
		}
	}
	fi, err := os.Stat(real)
	if err != nil {
		fail(m.Path, "command", "cannot stat plugin binary "+real, err)
		return info
	}
	if !fi.Mode().IsRegular() {
		fail(m.Path, "command", fmt.Sprintf("%s is not a regular file (%s): command must name the plugin binary", real, fi.Mode().Type()), nil)
		return info
	}
	if fi.Mode().Perm()&0o111 == 0 {
		fail(m.Path, "command", fmt.Sprintf("%s is not executable (mode %04o): run chmod +x %s", real, fi.Mode().Perm(), real), nil)
	}
	if fi.Mode().Perm()&0o022 != 0 {
		fail(m.Path, "command", fmt.Sprintf("%s is writable by group or others (mode %04o): run chmod go-w %s", real, fi.Mode().Perm(), real), nil)
	}

	sum, err := r.sums.sum(real, fi)
	if err != nil {
		fail(m.Path, "command", "cannot read plugin binary "+real, err)
		return info
	}
	info.SHA256 = sum

	switch {
	case m.SHA256 == "":
		info.Pinned = SumUnpinned
	case m.SHA256 == sum:
		info.Pinned = SumOK
	default:
		info.Pinned = SumMismatch
		fail(m.Path, "sha256", fmt.Sprintf("binary %s has sha256 %s but the manifest pins %s: the binary is not the one the manifest was written for; reinstall the plugin, or update the manifest's sha256 if the new binary is trusted", real, sum, m.SHA256), nil)
	}

	// Everything but the lock file checks out: netyard plugins lock may pin it.
	info.lockable = len(info.Problems) == 0
	switch {
	case r.lockErr != nil:
		info.Locked = SumLockBroken
		fail(r.lockPath, "", "refused because the lock file cannot be used (see its own error): fix it, or rewrite it with netyard plugins lock", nil)
	case r.lock == nil:
		info.Locked = SumNoLockFile
	default:
		le, ok := r.lock.Plugins[m.Name]
		switch {
		case !ok:
			info.Locked = SumNotLocked
			fail(r.lockPath, "plugins."+m.Name, fmt.Sprintf("plugin %s (%s) is installed but not in the lock file: review it, then run netyard plugins lock", m.Name, m.Path), nil)
		case le.SHA256 != sum:
			info.Locked = SumMismatch
			fail(r.lockPath, "plugins."+m.Name+".sha256", fmt.Sprintf("binary %s has sha256 %s but the lock file pins %s: if this upgrade is intended, run netyard plugins lock; otherwise reinstall the locked binary", real, sum, le.SHA256), nil)
		case le.Version != m.Version:
			info.Locked = SumMismatch
			fail(r.lockPath, "plugins."+m.Name+".version", fmt.Sprintf("manifest %s says version %s but the lock file pins %s: if this upgrade is intended, run netyard plugins lock", m.Path, m.Version, le.Version), nil)
		default:
			info.Locked = SumOK
		}
	}
	return info
}

// sumCache remembers binaries' hashes by file identity.
type sumCache struct {
	mu     sync.Mutex
	m      map[string]cachedSum
	hashed int // files read, so tests can tell a cache hit
}

type fileID struct {
	size     int64
	mtime    int64
	dev, ino uint64
	ctime    int64
}

type cachedSum struct {
	id  fileID
	sum string
}

func identify(fi os.FileInfo) fileID {
	id := fileID{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	id.dev, id.ino, id.ctime = statIdentity(fi)
	return id
}

// sum returns the sha256 of path, whose Stat is fi, from the cache when
// the file has not changed since it was hashed.
func (c *sumCache) sum(path string, fi os.FileInfo) (string, error) {
	id := identify(fi)
	c.mu.Lock()
	if v, ok := c.m[path]; ok && v.id == id {
		c.mu.Unlock()
		return v.sum, nil
	}
	c.mu.Unlock()

	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New() // fresh per hash: a reused hash.Hash would need Reset
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	c.mu.Lock()
	c.hashed++
	c.mu.Unlock()
	sum := hex.EncodeToString(h.Sum(nil))
	// Cache only when the file we hashed is the one we were asked about
	// and did not change while we read it.
	if after, err := f.Stat(); err == nil && identify(after) == id {
		c.mu.Lock()
		if c.m == nil {
			c.m = map[string]cachedSum{}
		}
		c.m[path] = cachedSum{id: id, sum: sum}
		c.mu.Unlock()
	} else {
		return "", fmt.Errorf("%s changed while it was being hashed", path)
	}
	return sum, nil
}
