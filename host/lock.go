package host

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"go.yaml.in/yaml/v3"
)

// LockSchema is the schema value of the current lock file format.
const LockSchema = "netyard.lock/v1"

// Lock is netyard.lock: the sha256 of every installed plugin's binary, like
// Terraform's dependency lock file. It is plain YAML, sorted, meant to be
// committed and reviewed.
type Lock struct {
	Schema  string               `yaml:"schema" json:"schema"`
	Plugins map[string]LockEntry `yaml:"plugins" json:"plugins"`

	// Path is the file it was read from (not part of the YAML).
	Path string `yaml:"-" json:"path"`
}

// LockEntry pins one plugin.
type LockEntry struct {
	Version  string `yaml:"version" json:"version"`
	Manifest string `yaml:"manifest" json:"manifest"` // relative to the lock file, slash-separated
	SHA256   string `yaml:"sha256" json:"sha256"`
}

const lockHeader = "# netyard.lock: sha256 of each plugin binary, written by `netyard plugins lock`.\n" +
	"# Commit it and review changes; a binary whose hash differs is refused.\n"

var lockShaRe = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ReadLock reads and validates a lock file. A missing file is an error
// that matches fs.ErrNotExist; any other problem is a *RegistrationError
// naming the file and the field.
func ReadLock(path string) (*Lock, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var l Lock
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&l); err != nil {
		return nil, &RegistrationError{File: path, Field: "(document)",
			Reason: "expected a lock file written by netyard plugins lock; rewrite it with netyard plugins lock", base: base{Cause: err}}
	}
	l.Path = path
	if l.Schema != LockSchema {
		return nil, &RegistrationError{File: path, Field: "schema",
			Reason: fmt.Sprintf("expected %q, got %q: rewrite it with netyard plugins lock", LockSchema, l.Schema)}
	}
	for _, name := range sortedKeys(l.Plugins) {
		if e := l.Plugins[name]; !lockShaRe.MatchString(e.SHA256) {
			return nil, &RegistrationError{Plugin: name, File: path, Field: "plugins." + name + ".sha256",
				Reason: fmt.Sprintf("expected 64 lowercase hex digits, got %q", e.SHA256)}
		}
	}
	if l.Plugins == nil {
		l.Plugins = map[string]LockEntry{}
	}
	return &l, nil
}

// loadLock reads the lock file when there is one. A lock file that exists
// but cannot be used refuses every plugin: failing open would turn a
// corrupted lock file into no verification at all.
func (r *Registry) loadLock() {
	l, err := ReadLock(r.lockPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r.log.Debug("no lock file; plugins are not pinned", "path", r.lockPath)
	case err != nil:
		var re *RegistrationError
		if !errors.As(err, &re) {
			err = &RegistrationError{File: r.lockPath, Reason: "cannot read the lock file", base: base{Cause: err}}
		}
		r.lockErr = err
		r.problems = append(r.problems, err)
	default:
		r.lock = l
	}
}

// WriteLock pins the sha256 of every plugin of r that passes all trust
// checks but the lock file's own (so it can re-pin an upgraded plugin or
// add a new one), and writes the lock file (cfg's, by default netyard.lock
// beside the first plugin directory) atomically. Plugins with other
// problems are not pinned; a later Discover refuses them. The output is
// sorted and stable.
func WriteLock(cfg Config, r *Registry) (path string, err error) {
	path = absPath(cfg.lockFile())
	l := Lock{Schema: LockSchema, Plugins: map[string]LockEntry{}}
	for _, info := range r.infos {
		if !info.lockable {
			continue
		}
		m := info.Manifest
		rel, err := filepath.Rel(filepath.Dir(path), m.Path)
		if err != nil {
			rel = m.Path
		}
		l.Plugins[m.Name] = LockEntry{Version: m.Version, Manifest: filepath.ToSlash(rel), SHA256: info.SHA256}
	}
	var buf bytes.Buffer
	buf.WriteString(lockHeader)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(l); err != nil {
		return path, err
	}
	if err := enc.Close(); err != nil {
		return path, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".netyard.lock.*")
	if err != nil {
		return path, fmt.Errorf("write lock file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return path, fmt.Errorf("write lock file %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return path, fmt.Errorf("write lock file %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return path, fmt.Errorf("write lock file %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return path, fmt.Errorf("write lock file %s: %w", path, err)
	}
	return path, nil
}
