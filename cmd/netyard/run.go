package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/inventory"
	"github.com/netyard/netyard/sdk"
)

// runOpts are the flags of "netyard run".
type runOpts struct {
	inventory string
	sel       inventory.Selection

	typ, library string
	fallback     bool
	caps         []string

	commands    []string
	configFile  string
	dryRun      bool
	failedWhen  []string
	getVersion  bool
	ncGetConfig bool
	source      string
	ncEdit      string
	target      string
	api         string
	body        string
	headers     []string
	restconfGet string

	workers    int
	timeout    time.Duration
	retries    int
	backoff    time.Duration
	output     string
	noProgress bool
}

func newRunCmd(g *globals) *cobra.Command {
	o := &runOpts{}
	cmd := &cobra.Command{
		Use:   "run -i INVENTORY ACTION [flags]",
		Short: "Run one action on many devices of a Nornir inventory",
		Long: `run performs one action on every selected host of an inventory, --workers at a time,
through the installed plugins.

The inventory (-i) is a Nornir SimpleInventory directory (hosts.yaml, groups.yaml,
defaults.yaml) or one YAML file with hosts:, groups: and defaults: keys. Credentials may
name environment variables instead of holding secrets: password_env: NETOPS_PW.

Exactly one action: --command (repeatable), --config-file, --get-version,
--netconf-get-config, --netconf-edit-config, --api or --restconf-get. The action implies
the connection type (ssh, ssh, ssh, netconf, netconf, api, restconf) and the capability;
--type, --library, --fallback and --capability change how the plugin is chosen.

Before anything is contacted every selected host is mapped to a device and resolved to a
plugin; any problem there is a configuration error (exit 2) and nothing runs.

Retryable failures (unreachable, timeouts) are retried --retries times with exponential
backoff. An action that changes the device (--config-file, --netconf-edit-config, --api
with POST or PATCH) is retried only when the connection failed, never after it was sent.

A host fails on an error, a command or configuration line the platform reports as failed,
NETCONF rpc-errors, or an HTTP status of 400 and above.

Exit codes: 0 every host succeeded, 1 any host failed or the run was interrupted,
2 usage or configuration error.`,
		Example: `  netyard run -i ./inventory --group cisco_iosxe --filter services=ssh --command 'show version' --command 'show ip int brief'
  netyard run -i ./inventory --filter site=lon --config-file ntp.cfg --output json
  netyard run -i inventory.yaml --hosts nc1 --netconf-get-config --source running --output raw
  netyard run -i ./inventory --api 'GET /api/v1/system' --output jsonl
  NETOPS_PW=secret netyard run -i ./inventory --get-version --retries 2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRun(cmd.Context(), g, o, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.inventory, "inventory", "i", "", "Nornir SimpleInventory directory or single YAML file (required)")
	f.StringSliceVar(&o.sel.Hosts, "hosts", nil, "only these hosts (comma-separated, repeatable)")
	f.StringArrayVar(&o.sel.Groups, "group", nil, "only hosts in this group, directly or through other groups (repeatable: any)")
	f.StringArrayVar(&o.sel.Filters, "filter", nil, "only hosts where key=value (or key!=value) on name, hostname, port, platform or data (dotted); repeatable: all")

	f.StringVar(&o.typ, "type", "", "connection type: ssh, netconf, api, restconf (default: implied by the action)")
	f.StringVar(&o.library, "library", "", "plugin library, e.g. scrapli, netyard, httpx")
	f.BoolVar(&o.fallback, "fallback", false, "let the default plugin settle several candidates")
	f.StringArrayVar(&o.caps, "capability", nil, "required capability on top of the action's (repeatable)")

	f.StringArrayVar(&o.commands, "command", nil, "CLI command to send (repeatable, in order)")
	f.StringVar(&o.configFile, "config-file", "", "send the configuration lines of FILE (blank lines and lines starting with ! or # skipped)")
	f.BoolVar(&o.dryRun, "dry-run", false, "with --config-file on platforms that commit: check, then discard")
	f.StringArrayVar(&o.failedWhen, "failed-when-contains", nil, "output that marks a command or config line failed, on top of the platform's (repeatable)")
	f.BoolVar(&o.getVersion, "get-version", false, "read version facts (device_info)")
	f.BoolVar(&o.ncGetConfig, "netconf-get-config", false, "NETCONF get-config of --source")
	f.StringVar(&o.source, "source", "running", "datastore for --netconf-get-config")
	f.StringVar(&o.ncEdit, "netconf-edit-config", "", "NETCONF edit-config of --target with the <config> in FILE (candidate: committed after)")
	f.StringVar(&o.target, "target", "running", "datastore for --netconf-edit-config: running or candidate")
	f.StringVar(&o.api, "api", "", "HTTP request 'METHOD PATH' against the device API")
	f.StringVar(&o.body, "body", "", "request body for --api, read from FILE (- for stdin)")
	f.StringArrayVar(&o.headers, "header", nil, "request header 'Name: value' for --api (repeatable)")
	f.StringVar(&o.restconfGet, "restconf-get", "", "RESTCONF GET of a data resource, e.g. ietf-interfaces:interfaces")

	f.IntVar(&o.workers, "workers", 50, "hosts worked on at once")
	f.DurationVar(&o.timeout, "timeout", 60*time.Second, "limit for one attempt on one host (connect and action)")
	f.IntVar(&o.retries, "retries", 0, "retries of a retryable failure per host")
	f.DurationVar(&o.backoff, "retry-backoff", 500*time.Millisecond, "wait before the first retry, doubled each time (±20% jitter, at most 30s)")
	f.StringVarP(&o.output, "output", "o", "table", "table, json, jsonl or raw")
	f.BoolVar(&o.noProgress, "no-progress", false, "no progress bar even on a terminal")
	return cmd
}

// action is what runs on each host once connected.
type action struct {
	name       string // for messages
	typ        string // connection type it implies
	capability string
	// idempotent actions may be retried after the request went out.
	idempotent bool
	do         func(ctx context.Context, c *host.Conn) outcome
}

// outcome is one attempt's result on one host.
type outcome struct {
	result any    // JSON result
	text   string // human/raw text
	short  string // one-line summary for the table
	err    error  // the connection or the call failed
	fail   *errInfo
}

// errInfo is a host's error in the output.
type errInfo struct {
	Kind      string `json:"kind"`
	Message   string `json:"message"`
	Retryable bool   `json:"retryable,omitempty"`
}

// hostResult is one host's line of output.
type hostResult struct {
	Host          string   `json:"host"`
	OK            bool     `json:"ok"`
	Plugin        string   `json:"plugin,omitempty"`
	PluginVersion string   `json:"plugin_version,omitempty"`
	Type          string   `json:"type,omitempty"`
	Library       string   `json:"library,omitempty"`
	Attempts      int      `json:"attempts"`
	ElapsedMS     float64  `json:"elapsed_ms"`
	Elapsed       string   `json:"elapsed"`
	Result        any      `json:"result,omitempty"`
	Error         *errInfo `json:"error,omitempty"`

	text, short string
	elapsed     time.Duration
}

// Error kinds of the run on top of host.Kind's.
const (
	kindCommandFailed = "command_failed" // the platform reported a command or config line failed
	kindRPCError      = "rpc_error"      // NETCONF rpc-error in the reply
	kindHTTPStatus    = "http_status"    // HTTP status 400 or above
	kindCanceled      = "canceled"       // interrupted before or while it ran
	kindError         = "error"          // anything else
)

var outputs = []string{"table", "json", "jsonl", "raw"}

func runRun(ctx context.Context, g *globals, o *runOpts, stdin io.Reader, stdout, stderr io.Writer) error {
	start := time.Now()
	act, err := o.action(stdin)
	if err != nil {
		return usage(err)
	}
	typ := act.typ
	if o.typ != "" {
		typ = inventory.ConnType(o.typ)
	}
	req := host.Request{Type: typ, Library: o.library, Fallback: o.fallback,
		Capabilities: append([]string{act.capability}, o.caps...)}
	req.Capabilities = slices.Compact(req.Capabilities)

	inv, err := inventory.Options{Warn: func(msg string) { fmt.Fprintln(stderr, "netyard: warning:", msg) }}.Load(o.inventory)
	if err != nil {
		return configErrors(stderr, "inventory "+o.inventory, err)
	}
	hosts, err := inv.Select(o.sel)
	if err != nil {
		return configErrors(stderr, "host selection", err)
	}

	cfg, err := g.config(stderr)
	if err != nil {
		return err
	}
	cfg.SkipBadPlugins = true
	h, err := host.New(cfg)
	if err != nil {
		return usage(fmt.Errorf("plugins in %s: %w", g.describeDirs(), err))
	}
	defer h.Close()

	// Pre-flight: every host mapped and resolved before anything is contacted.
	devs := make([]sdk.Device, len(hosts))
	var problems []error
	warned := map[string]bool{}
	for i, hh := range hosts {
		dev, err := inv.Device(hh.Name, typ)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		devs[i] = dev
		r, err := h.Resolve(dev, req)
		if err != nil {
			problems = append(problems, err) // it names the device
			continue
		}
		for _, w := range r.Warnings {
			if !warned[w] {
				warned[w] = true
				fmt.Fprintln(stderr, "netyard: warning:", w)
			}
		}
	}
	if len(problems) > 0 {
		return configErrors(stderr, fmt.Sprintf("%d of %s cannot be run", len(problems), plural(len(hosts), "host")), inventory.Errors(problems))
	}

	results := make([]*hostResult, len(hosts))
	var nOK, nFailed atomic.Int64

	// Progress on a terminal only; jsonl lines then go above the bar.
	var (
		prog *mpb.Progress
		bar  *mpb.Bar
	)
	streamOut := stdout
	if !o.noProgress && isTerminal(stderr) {
		prog = mpb.New(mpb.WithOutput(stderr), mpb.WithWidth(40), mpb.WithRefreshRate(120*time.Millisecond))
		bar = prog.AddBar(int64(len(hosts)),
			mpb.PrependDecorators(decor.Name(act.name+" "), decor.CountersNoUnit("%d/%d hosts")),
			mpb.AppendDecorators(
				decor.Any(func(decor.Statistics) string {
					return fmt.Sprintf("ok %d  failed %d", nOK.Load(), nFailed.Load())
				}, decor.WCSyncSpaceR),
				decor.Elapsed(decor.ET_STYLE_GO)),
		)
		if isTerminal(stdout) {
			streamOut = prog
		}
	}
	var outMu sync.Mutex
	done := func(i int, r *hostResult) {
		results[i] = r
		if r.OK {
			nOK.Add(1)
		} else {
			nFailed.Add(1)
		}
		if bar != nil {
			bar.Increment()
		}
		if o.output == "jsonl" {
			b, _ := json.Marshal(r)
			outMu.Lock()
			streamOut.Write(append(b, '\n'))
			outMu.Unlock()
		}
	}

	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(o.workers, len(hosts)) {
		wg.Go(func() {
			for i := range jobs {
				done(i, o.runHost(ctx, h, hosts[i].Name, devs[i], req, act))
			}
		})
	}
feed:
	for i := range hosts {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	for i, r := range results {
		if r == nil {
			done(i, &hostResult{Host: hosts[i].Name, Error: &errInfo{Kind: kindCanceled, Message: "not started: interrupted"}})
		}
	}
	if prog != nil {
		if ctx.Err() != nil {
			bar.Abort(false)
		}
		prog.Wait()
	}

	switch o.output {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			return failure(err)
		}
	case "raw":
		writeRaw(stdout, results)
	case "table":
		writeTable(stdout, results)
	}
	summary := fmt.Sprintf("%s: %d ok, %d failed in %s", plural(len(results), "host"), nOK.Load(), nFailed.Load(),
		time.Since(start).Round(time.Millisecond))
	if o.output == "table" {
		fmt.Fprintln(stdout, summary)
	} else {
		fmt.Fprintln(stderr, "netyard:", summary)
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "netyard: interrupted")
		return silent(exitFailure)
	}
	if nFailed.Load() > 0 {
		return silent(exitFailure)
	}
	return nil
}

// configErrors prints every problem, one per line, and exits 2.
func configErrors(stderr io.Writer, what string, err error) error {
	var list inventory.Errors
	if !errors.As(err, &list) {
		list = inventory.Errors{err}
	}
	fmt.Fprintf(stderr, "netyard: %s; nothing was run:\n", what)
	for _, e := range list {
		var sub inventory.Errors
		if errors.As(e, &sub) {
			for _, s := range sub {
				fmt.Fprintln(stderr, "  "+s.Error())
			}
			continue
		}
		fmt.Fprintln(stderr, "  "+e.Error())
	}
	return silent(exitUsage)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// runHost runs act on one host with retries.
func (o *runOpts) runHost(ctx context.Context, h *host.Host, name string, dev sdk.Device, req host.Request, act action) *hostResult {
	r := &hostResult{Host: name}
	t0 := time.Now()
	defer func() {
		r.elapsed = time.Since(t0)
		r.ElapsedMS = float64(r.elapsed.Microseconds()) / 1000
		r.Elapsed = r.elapsed.Round(100 * time.Microsecond).String()
	}()
	for attempt := 1; ; attempt++ {
		r.Attempts = attempt
		actx, cancel := context.WithTimeout(ctx, o.timeout)
		out, sent := o.attempt(actx, h, dev, req, act, r)
		cancel()
		switch {
		case out.err == nil && out.fail == nil:
			r.OK, r.Result, r.text, r.short, r.Error = true, out.result, out.text, out.short, nil
			return r
		case out.err == nil:
			r.Result, r.text, r.short, r.Error = out.result, out.text, out.short, out.fail
			return r
		}
		r.Result, r.text = nil, ""
		r.Error = &errInfo{Kind: host.Kind(out.err), Message: out.err.Error(), Retryable: host.Retryable(out.err)}
		if r.Error.Kind == "" {
			r.Error.Kind = kindError
		}
		if ctx.Err() != nil {
			r.Error.Kind, r.Error.Retryable = kindCanceled, false
			return r
		}
		if attempt > o.retries || !host.Retryable(out.err) || (sent && !act.idempotent) {
			return r
		}
		wait := min(o.backoff<<(attempt-1), 30*time.Second)
		wait = time.Duration(float64(wait) * (0.8 + 0.4*rand.Float64()))
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			r.Error.Kind, r.Error.Retryable = kindCanceled, false
			return r
		}
	}
}

// attempt opens a connection and runs the action once. sent says whether the
// connection was up, so that the action may have reached the device.
func (o *runOpts) attempt(ctx context.Context, h *host.Host, dev sdk.Device, req host.Request, act action, r *hostResult) (outcome, bool) {
	c, err := h.Open(ctx, dev, req)
	if err != nil {
		if res, rerr := h.Resolve(dev, req); rerr == nil && r.Plugin == "" {
			r.Plugin, r.PluginVersion = res.Entry.Plugin, res.Entry.Version
			r.Type, r.Library = res.Entry.Type, res.Entry.Library
		}
		return outcome{err: err}, false
	}
	defer c.Close()
	p := c.Plugin()
	r.Plugin, r.PluginVersion, r.Type, r.Library = p.Name, p.Version, p.Type, p.Library
	return act.do(ctx, c), true
}

// action checks that exactly one action is given and builds it.
func (o *runOpts) action(stdin io.Reader) (action, error) {
	var given []string
	add := func(set bool, flag string) {
		if set {
			given = append(given, flag)
		}
	}
	add(len(o.commands) > 0, "--command")
	add(o.configFile != "", "--config-file")
	add(o.getVersion, "--get-version")
	add(o.ncGetConfig, "--netconf-get-config")
	add(o.ncEdit != "", "--netconf-edit-config")
	add(o.api != "", "--api")
	add(o.restconfGet != "", "--restconf-get")
	if o.inventory == "" {
		return action{}, errors.New("an inventory is required: -i DIR|FILE (see netyard run --help)")
	}
	switch len(given) {
	case 0:
		return action{}, errors.New("no action: give one of --command, --config-file, --get-version, --netconf-get-config, --netconf-edit-config, --api, --restconf-get")
	case 1:
	default:
		return action{}, fmt.Errorf("one action per run, got %s", strings.Join(given, ", "))
	}
	if !slices.Contains(outputs, o.output) {
		return action{}, fmt.Errorf("--output %q: expected %s", o.output, strings.Join(outputs, ", "))
	}
	if o.workers < 1 {
		return action{}, fmt.Errorf("--workers %d: expected 1 or more", o.workers)
	}
	if o.retries < 0 {
		return action{}, fmt.Errorf("--retries %d: expected 0 or more", o.retries)
	}
	if o.timeout <= 0 {
		return action{}, fmt.Errorf("--timeout %s: expected a positive duration", o.timeout)
	}
	if o.backoff < 0 {
		return action{}, fmt.Errorf("--retry-backoff %s: expected 0 or more", o.backoff)
	}
	only := func(cond bool, flag, with string) error {
		if cond && given[0] != with {
			return fmt.Errorf("%s applies to %s only", flag, with)
		}
		return nil
	}
	if err := errors.Join(
		only(o.body != "", "--body", "--api"),
		only(len(o.headers) > 0, "--header", "--api"),
		only(o.dryRun, "--dry-run", "--config-file"),
		only(o.source != "running", "--source", "--netconf-get-config"),
		only(o.target != "running", "--target", "--netconf-edit-config"),
	); err != nil {
		return action{}, err
	}
	if len(o.failedWhen) > 0 && given[0] != "--command" && given[0] != "--config-file" {
		return action{}, errors.New("--failed-when-contains applies to --command and --config-file only")
	}
	switch given[0] {
	case "--command":
		return o.commandAction(), nil
	case "--config-file":
		return o.configAction()
	case "--get-version":
		return versionAction(), nil
	case "--netconf-get-config":
		return o.getConfigAction(), nil
	case "--netconf-edit-config":
		return o.editConfigAction()
	case "--api":
		return o.apiAction(stdin)
	default:
		return o.restconfAction(), nil
	}
}

// cmdResult is one command's output in JSON.
type cmdResult struct {
	Command    string  `json:"command"`
	Result     string  `json:"result"`
	Failed     bool    `json:"failed"`
	FailedWhen string  `json:"failed_when,omitempty"`
	ElapsedMS  float64 `json:"elapsed_ms"`
}

func cmdResults(rs []sdk.Response) []cmdResult {
	out := make([]cmdResult, len(rs))
	for i, r := range rs {
		out[i] = cmdResult{Command: r.Command, Result: r.Result, Failed: r.Failed, FailedWhen: r.FailedWhen,
			ElapsedMS: float64(r.Elapsed.Microseconds()) / 1000}
	}
	return out
}

// responsesText is the outputs, each under its command when there are several.
func responsesText(rs []sdk.Response, headers bool) string {
	var b strings.Builder
	for _, r := range rs {
		if headers {
			fmt.Fprintf(&b, "--- %s\n", r.Command)
		}
		b.WriteString(strings.TrimRight(r.Result, "\n"))
		b.WriteString("\n")
	}
	return b.String()
}

func failedResponse(rs []sdk.Response) *errInfo {
	for _, r := range rs {
		if r.Failed {
			msg := fmt.Sprintf("%q failed", r.Command)
			if r.FailedWhen != "" {
				msg += fmt.Sprintf(": output contains %q", r.FailedWhen)
			}
			return &errInfo{Kind: kindCommandFailed, Message: msg}
		}
	}
	return nil
}

func (o *runOpts) commandAction() action {
	cmds := o.commands
	return action{name: "command", typ: "ssh", capability: "cli", idempotent: true,
		do: func(ctx context.Context, c *host.Conn) outcome {
			rs, err := c.CLI().SendCommands(ctx, sdk.CommandsRequest{Commands: cmds, FailedWhenContains: o.failedWhen})
			if err != nil {
				return outcome{err: err}
			}
			return outcome{result: cmdResults(rs), text: responsesText(rs, len(rs) > 1), fail: failedResponse(rs),
				short: fmt.Sprintf("%d command(s)", len(rs))}
		}}
}

// configLines reads a configuration file: blank lines and comments skipped.
func configLines(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var lines []string
	for l := range strings.SplitSeq(string(data), "\n") {
		l = strings.TrimRight(l, " \t\r")
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "!") || strings.HasPrefix(t, "#") {
			continue
		}
		lines = append(lines, l)
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("--config-file %s: no configuration lines", path)
	}
	return lines, nil
}

func (o *runOpts) configAction() (action, error) {
	lines, err := configLines(o.configFile)
	if err != nil {
		return action{}, err
	}
	return action{name: "config", typ: "ssh", capability: "cli.config",
		do: func(ctx context.Context, c *host.Conn) outcome {
			r, err := c.CLIConfig().SendConfig(ctx, sdk.ConfigRequest{Lines: lines, FailedWhenContains: o.failedWhen,
				StopOnFailed: true, DryRun: o.dryRun})
			if err != nil {
				return outcome{err: err}
			}
			res := map[string]any{"responses": cmdResults(r.Responses), "failed": r.Failed,
				"committed": r.Committed, "discarded": r.Discarded}
			if r.CommitOutput != "" {
				res["commit_output"] = r.CommitOutput
			}
			text := responsesText(r.Responses, true)
			if r.CommitOutput != "" {
				text += "--- commit\n" + strings.TrimRight(r.CommitOutput, "\n") + "\n"
			}
			out := outcome{result: res, text: text, fail: failedResponse(r.Responses),
				short: fmt.Sprintf("%d line(s) sent", len(r.Responses))}
			if r.Failed && out.fail == nil {
				out.fail = &errInfo{Kind: kindCommandFailed, Message: "configuration failed"}
			}
			switch {
			case r.Committed:
				out.short += ", committed"
			case r.Discarded:
				out.short += ", discarded"
			}
			return out
		}}, nil
}

func versionAction() action {
	return action{name: "get-version", typ: "ssh", capability: "device_info", idempotent: true,
		do: func(ctx context.Context, c *host.Conn) outcome {
			v, err := c.DeviceInfo().GetVersion(ctx)
			if err != nil {
				return outcome{err: err}
			}
			res := map[string]string{"hostname": v.Hostname, "vendor": v.Vendor, "model": v.Model, "serial": v.Serial,
				"software_release": v.SoftwareRelease, "platform": v.Platform, "raw": v.Raw}
			var b strings.Builder
			for _, k := range []string{"hostname", "vendor", "model", "serial", "software_release", "platform"} {
				fmt.Fprintf(&b, "%-17s %s\n", k, res[k])
			}
			return outcome{result: res, text: b.String(),
				short: strings.Join(slices.DeleteFunc([]string{v.Hostname, v.Model, v.SoftwareRelease}, func(s string) bool { return s == "" }), " ")}
		}}
}

func netconfFail(r sdk.NetconfReply) *errInfo {
	if err := r.Err(); err != nil {
		return &errInfo{Kind: kindRPCError, Message: err.Error()}
	}
	return nil
}

func (o *runOpts) getConfigAction() action {
	source := o.source
	return action{name: "get-config", typ: "netconf", capability: "netconf", idempotent: true,
		do: func(ctx context.Context, c *host.Conn) outcome {
			r, err := c.NETCONF().GetConfig(ctx, source, sdk.NetconfFilter{})
			if err != nil {
				return outcome{err: err}
			}
			return outcome{result: map[string]any{"source": source, "ok": r.OK, "data": r.Data, "errors": r.Errors},
				text: strings.TrimRight(r.Data, "\n") + "\n", fail: netconfFail(r),
				short: fmt.Sprintf("%s: %d bytes", source, len(r.Data))}
		}}
}

func (o *runOpts) editConfigAction() (action, error) {
	data, err := os.ReadFile(o.ncEdit)
	if err != nil {
		return action{}, fmt.Errorf("--netconf-edit-config: %w", err)
	}
	cfg := strings.TrimSpace(string(data))
	if cfg == "" {
		return action{}, fmt.Errorf("--netconf-edit-config %s: empty", o.ncEdit)
	}
	target := o.target
	if target != "running" && target != "candidate" {
		return action{}, fmt.Errorf("--target %q: expected running or candidate", target)
	}
	return action{name: "edit-config", typ: "netconf", capability: "netconf",
		do: func(ctx context.Context, c *host.Conn) outcome {
			r, err := c.NETCONF().EditConfig(ctx, sdk.EditConfig{Target: target, Config: cfg})
			if err != nil {
				return outcome{err: err}
			}
			res := map[string]any{"target": target, "ok": r.OK, "errors": r.Errors}
			if f := netconfFail(r); f != nil {
				return outcome{result: res, text: f.Message + "\n", fail: f}
			}
			short := "edited " + target
			if target == "candidate" {
				cr, err := c.NETCONF().Commit(ctx, sdk.CommitOptions{})
				if err != nil {
					return outcome{err: err}
				}
				res["committed"] = cr.OK
				if f := netconfFail(cr); f != nil {
					return outcome{result: res, text: "commit: " + f.Message + "\n", fail: f}
				}
				short += ", committed"
			}
			return outcome{result: res, text: "ok: " + short + "\n", short: short}
		}}, nil
}

// body is an HTTP body in JSON output: embedded when it is JSON, else text.
func body(b []byte) any {
	if len(b) > 0 && json.Valid(b) {
		return json.RawMessage(b)
	}
	return string(b)
}

func httpFail(status int) *errInfo {
	if status >= 400 {
		return &errInfo{Kind: kindHTTPStatus, Message: fmt.Sprintf("HTTP %d", status)}
	}
	return nil
}

func (o *runOpts) apiAction(stdin io.Reader) (action, error) {
	method, path, ok := strings.Cut(strings.TrimSpace(o.api), " ")
	path = strings.TrimSpace(path)
	method = strings.ToUpper(method)
	if !ok || path == "" || strings.TrimFunc(method, func(r rune) bool { return r >= 'A' && r <= 'Z' }) != "" {
		return action{}, fmt.Errorf("--api %q: expected 'METHOD PATH', e.g. 'GET /api/v1/system'", o.api)
	}
	var reqBody []byte
	if o.body != "" {
		var err error
		if o.body == "-" {
			reqBody, err = io.ReadAll(stdin)
		} else {
			reqBody, err = os.ReadFile(o.body)
		}
		if err != nil {
			return action{}, fmt.Errorf("--body: %w", err)
		}
	}
	var headers []sdk.Header
	for _, h := range o.headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return action{}, fmt.Errorf("--header %q: expected 'Name: value'", h)
		}
		headers = append(headers, sdk.Header{Name: strings.TrimSpace(k), Value: strings.TrimSpace(v)})
	}
	idem := slices.Contains([]string{"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}, method)
	return action{name: "api", typ: "api", capability: "api", idempotent: idem,
		do: func(ctx context.Context, c *host.Conn) outcome {
			r, err := c.API().Do(ctx, sdk.APIRequest{Method: method, Path: path, Headers: headers, Body: reqBody})
			if err != nil {
				return outcome{err: err}
			}
			hs := map[string]string{}
			for _, h := range r.Headers {
				hs[h.Name] = h.Value
			}
			return outcome{result: map[string]any{"status": r.Status, "headers": hs, "body": body(r.Body), "attempts": r.Attempts},
				text: strings.TrimRight(string(r.Body), "\n") + "\n", fail: httpFail(r.Status),
				short: fmt.Sprintf("HTTP %d, %d bytes", r.Status, len(r.Body))}
		}}, nil
}

func (o *runOpts) restconfAction() action {
	path := o.restconfGet
	return action{name: "restconf-get", typ: "restconf", capability: "restconf", idempotent: true,
		do: func(ctx context.Context, c *host.Conn) outcome {
			r, err := c.RESTCONF().Get(ctx, path)
			if err != nil {
				return outcome{err: err}
			}
			res := map[string]any{"status": r.Status, "body": body(r.Body)}
			if len(r.Errors) > 0 {
				res["errors"] = r.Errors
			}
			out := outcome{result: res, text: strings.TrimRight(string(r.Body), "\n") + "\n", fail: httpFail(r.Status),
				short: fmt.Sprintf("HTTP %d, %d bytes", r.Status, len(r.Body))}
			if out.fail != nil && r.Err() != nil {
				out.fail.Message = r.Err().Error()
			}
			return out
		}}
}

// writeRaw prints each host's output alone; with several hosts each under a
// "### host" line. Failed hosts print nothing here (their errors are on
// stderr in the summary).
func writeRaw(w io.Writer, results []*hostResult) {
	for _, r := range results {
		if r.text == "" {
			continue
		}
		if len(results) > 1 {
			fmt.Fprintf(w, "### %s\n", r.Host)
		}
		io.WriteString(w, r.text)
	}
}

// writeTable prints each host's output under a header, then the summary table.
func writeTable(w io.Writer, results []*hostResult) {
	for _, r := range results {
		status := "ok"
		if !r.OK {
			status = "FAILED"
		}
		plugin := r.Plugin
		if plugin == "" {
			plugin = "-"
		}
		fmt.Fprintf(w, "=== %s: %s (%s, %s)\n", r.Host, status, plugin, r.elapsed.Round(time.Millisecond))
		if r.text != "" {
			io.WriteString(w, r.text)
		}
		if r.Error != nil {
			fmt.Fprintf(w, "error %s: %s\n", r.Error.Kind, r.Error.Message)
		}
		fmt.Fprintln(w)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tSTATUS\tPLUGIN\tATTEMPTS\tTIME\tDETAIL")
	for _, r := range results {
		status, detail := "ok", r.short
		if !r.OK {
			status = "FAILED"
			detail = r.Error.Kind + ": " + firstLine(r.Error.Message)
		}
		plugin := r.Plugin
		if plugin == "" {
			plugin = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", r.Host, status, plugin, r.Attempts, r.elapsed.Round(time.Millisecond), detail)
	}
	tw.Flush()
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}
