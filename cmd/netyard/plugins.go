package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/sdk"
)

func newPluginsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plugins",
		Short: "List, lock and verify the installed plugins",
	}
	cmd.AddCommand(newPluginsListCmd(g), newPluginsLockCmd(g), newPluginsVerifyCmd(g))
	return cmd
}

// problemJSON is one discovery problem.
type problemJSON struct {
	Kind    string `json:"kind"`
	Plugin  string `json:"plugin,omitempty"`
	File    string `json:"file,omitempty"`
	Field   string `json:"field,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message"`
}

func toProblem(err error) problemJSON {
	p := problemJSON{Kind: host.Kind(err), Message: err.Error()}
	var re *host.RegistrationError
	if errors.As(err, &re) {
		p.Plugin, p.File, p.Field, p.Reason = re.Plugin, re.File, re.Field, re.Reason
	}
	return p
}

func toProblems(errs []error) []problemJSON {
	out := make([]problemJSON, 0, len(errs))
	for _, e := range errs {
		out = append(out, toProblem(e))
	}
	return out
}

type provideJSON struct {
	Type         string        `json:"type"`
	Library      string        `json:"library"`
	Platforms    []string      `json:"platforms"`
	Capabilities []string      `json:"capabilities"`
	DefaultFor   sdk.DefaultOf `json:"default_for"`
}

type pluginJSON struct {
	Name           string        `json:"name"`
	Version        string        `json:"version"`
	Manifest       string        `json:"manifest"`
	Command        string        `json:"command"`
	SHA256         string        `json:"sha256"`
	ManifestSHA256 string        `json:"manifest_sha256"` // ok, mismatch, unpinned, unknown
	Lock           string        `json:"lock"`            // ok, mismatch, not locked, no lock file, ...
	Registered     bool          `json:"registered"`
	Provides       []provideJSON `json:"provides"`
	Problems       []problemJSON `json:"problems"`
}

type listJSON struct {
	PluginDirs []string      `json:"plugin_dirs"`
	LockFile   string        `json:"lock_file"`
	LockExists bool          `json:"lock_file_exists"`
	Plugins    []pluginJSON  `json:"plugins"`
	Problems   []problemJSON `json:"problems"` // those not about a listed plugin (invalid manifests, directories, host config)
}

func newListing(r *host.Registry) listJSON {
	_, err := os.Stat(r.LockFile())
	out := listJSON{PluginDirs: r.Dirs(), LockFile: r.LockFile(), LockExists: err == nil, Plugins: []pluginJSON{}}
	attached := map[error]bool{}
	for _, info := range r.Plugins() {
		m := info.Manifest
		p := pluginJSON{Name: m.Name, Version: m.Version, Manifest: m.Path, Command: m.CommandPath(),
			SHA256: info.SHA256, ManifestSHA256: info.Pinned, Lock: info.Locked, Registered: info.Registered,
			Problems: toProblems(info.Problems)}
		for _, e := range m.Provides {
			p.Provides = append(p.Provides, provideJSON{Type: e.Type, Library: e.Library,
				Platforms: e.Platforms, Capabilities: e.Capabilities, DefaultFor: e.DefaultFor})
		}
		for _, e := range info.Problems {
			attached[e] = true
		}
		out.Plugins = append(out.Plugins, p)
	}
	var rest []error
	for _, e := range r.Problems() {
		if !attached[e] {
			rest = append(rest, e)
		}
	}
	out.Problems = toProblems(rest)
	return out
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newPluginsListCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the installed plugins, their entries, checksum states and problems",
		Long: `List every plugin manifest found in the plugin directories: name, version,
manifest path, what it provides (type, library, platforms, capabilities), and
the state of its binary's sha256 against the manifest (ok, mismatch, unpinned)
and the lock file (ok, mismatch, not locked, no lock file). Problems are
listed too; nothing is launched.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.config(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			l := newListing(host.Discover(cfg))
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), l)
			}
			printListing(cmd.OutOrStdout(), l, g)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printListing(w io.Writer, l listJSON, g *globals) {
	lock := l.LockFile
	if !l.LockExists {
		lock += " (none; netyard plugins lock writes it)"
	}
	fmt.Fprintf(w, "plugin dirs: %s\nlock file:   %s\n", strings.Join(l.PluginDirs, ", "), lock)
	if len(l.Plugins) == 0 {
		fmt.Fprintf(w, "\nno plugins found in %s\n", g.describeDirs())
	}
	for _, p := range l.Plugins {
		state := "registered"
		if !p.Registered {
			state = "NOT REGISTERED"
		}
		fmt.Fprintf(w, "\n%s %s (%s)\n", p.Name, p.Version, state)
		fmt.Fprintf(w, "  manifest  %s\n", p.Manifest)
		sum := p.SHA256
		if sum == "" {
			sum = "(binary unreadable)"
		}
		fmt.Fprintf(w, "  sha256    %s (manifest: %s, lock: %s)\n", sum, p.ManifestSHA256, p.Lock)
		for _, e := range p.Provides {
			fmt.Fprintf(w, "  provides  %s/%s  platforms: %s  capabilities: %s%s\n", e.Type, e.Library,
				strings.Join(e.Platforms, ", "), strings.Join(e.Capabilities, ", "), defaultsText(e.DefaultFor))
		}
		for _, pr := range p.Problems {
			fmt.Fprintf(w, "  problem   %s\n", pr.Message)
		}
	}
	if len(l.Problems) > 0 {
		fmt.Fprintf(w, "\nproblems:\n")
		for _, pr := range l.Problems {
			fmt.Fprintf(w, "  %s\n", pr.Message)
		}
	}
}

func defaultsText(d sdk.DefaultOf) string {
	var parts []string
	if len(d.Platforms) > 0 {
		parts = append(parts, "platforms "+strings.Join(d.Platforms, ", "))
	}
	if len(d.Types) > 0 {
		parts = append(parts, "types on "+strings.Join(d.Types, ", "))
	}
	if len(parts) == 0 {
		return ""
	}
	return "  default for: " + strings.Join(parts, "; ")
}

func newPluginsLockCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "lock",
		Short: "Pin every installed plugin's sha256 in the lock file",
		Long: `Write the lock file (` + host.LockFileName + ` beside the first plugin directory) with
the sha256 of every installed plugin binary that passes the other trust checks,
and print its path. Review the change and commit it: afterwards a binary whose
hash differs, or a plugin missing from the lock file, is refused.

Exits 1 if, after locking, any plugin still has a problem.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.config(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			r := host.Discover(cfg)
			if len(r.Plugins()) == 0 {
				for _, p := range r.Problems() {
					fmt.Fprintln(cmd.ErrOrStderr(), "problem:", p)
				}
				return failure(fmt.Errorf("no plugins found in %s; nothing to lock", g.describeDirs()))
			}
			path, err := host.WriteLock(cfg, r)
			if err != nil {
				return failure(err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), path)
			// What is still wrong once the lock is in place.
			after := host.Discover(cfg)
			for _, p := range after.Problems() {
				fmt.Fprintln(cmd.ErrOrStderr(), "problem:", p)
			}
			if n := len(after.Problems()); n > 0 {
				return failure(fmt.Errorf("%d problem(s) remain; the plugins concerned are not locked or not usable", n))
			}
			return nil
		},
	}
}

type verifyJSON struct {
	OK       bool           `json:"ok"`
	Plugins  []verifiedJSON `json:"plugins"`
	Problems []problemJSON  `json:"problems"`
}

type verifiedJSON struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Manifest string `json:"manifest"`
	OK       bool   `json:"ok"`
	Stage    string `json:"stage,omitempty"` // discovery or launch, when it failed
	Kind     string `json:"kind,omitempty"`
	Error    string `json:"error,omitempty"`
}

func newPluginsVerifyCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Validate manifests and checksums, then launch each plugin once and check what it reports",
		Long: `Validate every manifest and check every binary (trust checks, sha256 against the
manifest and the lock file), then launch each plugin once and cross-check what
it reports about itself (Describe) against its manifest.

Exits 1 if any plugin fails, saying which and why.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.config(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			cfg.SkipBadPlugins = true
			r := host.Discover(cfg)
			l := newListing(r)
			out := verifyJSON{OK: true, Plugins: []verifiedJSON{}, Problems: l.Problems}
			if len(l.Problems) > 0 {
				out.OK = false
			}
			var launch []int
			for _, p := range l.Plugins {
				v := verifiedJSON{Name: p.Name, Version: p.Version, Manifest: p.Manifest, OK: p.Registered}
				if !p.Registered {
					v.Stage, v.Kind = "discovery", "registration"
					var msgs []string
					for _, pr := range p.Problems {
						msgs = append(msgs, pr.Message)
					}
					v.Error = strings.Join(msgs, "; ")
					out.OK = false
				} else {
					launch = append(launch, len(out.Plugins))
				}
				out.Plugins = append(out.Plugins, v)
			}
			if len(launch) > 0 {
				h, err := host.New(cfg)
				if err != nil {
					return failure(err)
				}
				defer h.Close()
				for _, i := range launch {
					v := &out.Plugins[i]
					if err := h.Verify(cmd.Context(), v.Name); err != nil {
						v.OK, v.Stage, v.Kind, v.Error = false, "launch", host.Kind(err), err.Error()
						out.OK = false
					}
				}
			}
			if asJSON {
				if err := writeJSON(cmd.OutOrStdout(), out); err != nil {
					return failure(err)
				}
			} else {
				printVerify(cmd.OutOrStdout(), out, g)
			}
			if !out.OK {
				return silent(exitFailure)
			}
			if len(out.Plugins) == 0 {
				return failure(fmt.Errorf("no plugins found in %s", g.describeDirs()))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printVerify(w io.Writer, v verifyJSON, g *globals) {
	for _, p := range v.Plugins {
		if p.OK {
			fmt.Fprintf(w, "ok    %s %s\n", p.Name, p.Version)
			continue
		}
		fmt.Fprintf(w, "FAIL  %s %s (%s): %s\n", p.Name, p.Version, p.Stage, p.Error)
	}
	for _, pr := range v.Problems {
		fmt.Fprintf(w, "FAIL  %s\n", pr.Message)
	}
	if !v.OK {
		fmt.Fprintln(w, "verification failed")
	}
}
