package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netyard/netyard/host"
)

type entryJSON struct {
	Plugin       string   `json:"plugin"`
	Version      string   `json:"version"`
	Type         string   `json:"type"`
	Library      string   `json:"library"`
	Capabilities []string `json:"capabilities"`
	Manifest     string   `json:"manifest"`
}

type errorJSON struct {
	Kind       string           `json:"kind"`
	Message    string           `json:"message"`
	Missing    []string         `json:"missing,omitempty"`    // validation
	Available  []string         `json:"available,omitempty"`  // plugin_not_found
	Candidates []host.Candidate `json:"candidates,omitempty"` // ambiguous
	Reason     string           `json:"reason,omitempty"`
}

type resolveJSON struct {
	Entry    *entryJSON    `json:"entry,omitempty"`
	Warnings []string      `json:"warnings,omitempty"`
	Explain  []host.Step   `json:"explain,omitempty"`
	Error    *errorJSON    `json:"error,omitempty"`
	Problems []problemJSON `json:"problems,omitempty"` // discovery problems, which may explain a surprise
}

func newResolveCmd(g *globals) *cobra.Command {
	var (
		req             host.Request
		platform        string
		explain, asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "resolve --platform P [--type T] [--library L] [--capability C]... [--fallback]",
		Short: "Show which plugin entry would serve a device of a platform",
		Long: `Resolve a request the way the host does, without launching anything: entries
for the platform (including "*" entries), then the type and library, then the
required capabilities, then, with --fallback, the (platform, type) default and
the platform default. --explain shows why each entry was kept or dropped.

Exits 2 when the request does not resolve, printing the error's kind
(validation, plugin_not_found, ambiguous, registration) and its details.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.config(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			r := host.Discover(cfg)
			res, rerr := r.ResolvePlatform(platform, req)
			out := resolveJSON{Warnings: res.Warnings, Problems: toProblems(r.Problems())}
			if explain || asJSON {
				out.Explain = res.Explain
			}
			if e := res.Entry; e != nil && rerr == nil {
				out.Entry = &entryJSON{Plugin: e.Plugin, Version: e.Version, Type: e.Type, Library: e.Library,
					Capabilities: e.Capabilities, Manifest: e.Manifest.Path}
			}
			if rerr != nil {
				out.Error = toErrorJSON(rerr)
			}
			if asJSON {
				if err := writeJSON(cmd.OutOrStdout(), out); err != nil {
					return failure(err)
				}
			} else {
				printResolution(cmd.OutOrStdout(), cmd.ErrOrStderr(), out, explain)
			}
			if rerr != nil {
				return silent(exitUsage)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&platform, "platform", "", "device platform, e.g. cisco_iosxe (required)")
	f.StringVar(&req.Type, "type", "", "connection type, e.g. ssh, netconf, api, restconf")
	f.StringVar(&req.Library, "library", "", "connection library, e.g. scrapli")
	f.StringArrayVar(&req.Capabilities, "capability", nil, "required capability (repeatable), e.g. cli, netconf")
	f.BoolVar(&req.Fallback, "fallback", false, "let the (platform, type) and platform defaults settle several candidates")
	f.BoolVar(&explain, "explain", false, "show why each entry was kept or dropped")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("platform")
	return cmd
}

func toErrorJSON(err error) *errorJSON {
	out := &errorJSON{Kind: host.Kind(err), Message: err.Error()}
	var (
		ve *host.ValidationError
		nf *host.PluginNotFoundError
		ae *host.AmbiguousError
		re *host.RegistrationError
	)
	switch {
	case errors.As(err, &ve):
		out.Missing = ve.Missing
	case errors.As(err, &nf):
		out.Available = nf.Available
	case errors.As(err, &ae):
		out.Candidates, out.Reason = ae.Candidates, ae.Reason
	case errors.As(err, &re):
		out.Reason = re.Reason
	}
	return out
}

func printResolution(stdout, stderr io.Writer, out resolveJSON, explain bool) {
	if e := out.Entry; e != nil {
		fmt.Fprintf(stdout, "plugin        %s %s\n", e.Plugin, e.Version)
		fmt.Fprintf(stdout, "entry         %s/%s\n", e.Type, e.Library)
		fmt.Fprintf(stdout, "capabilities  %s\n", strings.Join(e.Capabilities, ", "))
		fmt.Fprintf(stdout, "manifest      %s\n", e.Manifest)
	}
	for _, w := range out.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	if explain {
		fmt.Fprintln(stdout, "explain:")
		for _, s := range out.Explain {
			fmt.Fprintln(stdout, "  "+s.String())
		}
	}
	if e := out.Error; e != nil {
		fmt.Fprintf(stderr, "netyard: %s: %s\n", e.Kind, e.Message)
		for _, c := range e.Candidates {
			fmt.Fprintln(stderr, "  candidate:", c)
		}
		for _, a := range e.Available {
			fmt.Fprintln(stderr, "  available:", a)
		}
	}
	if len(out.Problems) > 0 {
		fmt.Fprintf(stderr, "note: %d plugin problem(s) found at discovery; see netyard plugins list\n", len(out.Problems))
	}
}
