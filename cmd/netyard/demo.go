package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/inventory"
	"github.com/netyard/netyard/sdk"
	"github.com/netyard/netyard/sim"
)

// newDemoCmd returns "netyard demo": the main job end to end on the
// built-in simulator, for a new user's first minute.
func newDemoCmd(g *globals) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run every installed plugin against simulated devices on 127.0.0.1",
		Long: `demo starts simulated IOS-XE, EOS and Junos CLI devices, a NETCONF device and an
HTTP/RESTCONF device on 127.0.0.1, then drives them through the installed plugins: version
facts over SSH, a configuration change and its running-config, a NETCONF edit-config and
get-config, and a RESTCONF get. Nothing leaves the machine.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			return runDemo(ctx, g, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 60*time.Second, "give up after this long")
	return cmd
}

type demoStep struct {
	device, plugin, what, result string
	err                          error
	elapsed                      time.Duration
}

func runDemo(ctx context.Context, g *globals, out, stderr io.Writer) error {
	start := time.Now()
	cfg, err := g.config(stderr)
	if err != nil {
		return err
	}
	s, err := sim.Fleet(ctx, sim.Options{}, sim.FleetSpec{IOS: 2, EOS: 2, Junos: 2, NETCONF: 1, HTTP: 1})
	if err != nil {
		return fmt.Errorf("start the simulator: %w", err)
	}
	defer s.Close()
	fmt.Fprintf(out, "simulator: %d devices on 127.0.0.1\n", len(s.Devices()))
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  DEVICE\tPLATFORM\tSSH\tNETCONF\tHTTP")
	for _, d := range s.Devices() {
		sp := d.Spec()
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", sp.Name, sp.Platform, dash(d.SSHAddr()), dash(d.NETCONFAddr()), dash(d.HTTPAddr()))
	}
	tw.Flush()

	invDir, err := os.MkdirTemp("", "netyard-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(invDir)
	if err := s.WriteInventory(invDir); err != nil {
		return fmt.Errorf("write the simulator's inventory: %w", err)
	}
	inv, err := inventory.Load(invDir)
	if err != nil {
		return fmt.Errorf("load the simulator's inventory: %w", err)
	}

	cfg.SkipBadPlugins = true
	h, err := host.New(cfg)
	if err != nil {
		return err
	}
	defer h.Close()
	var names []string
	for _, m := range h.Registry().Manifests() {
		names = append(names, m.Name+" "+m.Version)
	}
	fmt.Fprintf(out, "\nplugins (%s): %s\n\n", g.describeDirs(), strings.Join(names, ", "))
	if len(names) == 0 {
		return failure(fmt.Errorf("no plugins found in %s: run `make build` first", g.describeDirs()))
	}

	var (
		mu    sync.Mutex
		steps []demoStep
		wg    sync.WaitGroup
	)
	record := func(st demoStep) {
		mu.Lock()
		steps = append(steps, st)
		mu.Unlock()
	}
	for _, d := range s.Devices() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, st := range demoJobs(ctx, h, inv, d) {
				record(st)
			}
		}()
	}
	wg.Wait()

	failed := 0
	tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DEVICE\tPLUGIN\tSTEP\tRESULT\tTIME")
	for _, d := range s.Devices() {
		for _, st := range steps {
			if st.device != d.Spec().Name {
				continue
			}
			res := st.result
			if st.err != nil {
				failed++
				res = "FAILED " + host.Kind(st.err) + ": " + st.err.Error()
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", st.device, st.plugin, st.what, res, st.elapsed.Round(100*time.Microsecond))
		}
	}
	tw.Flush()
	fmt.Fprintf(out, "\n%d steps, %d failed, %s in all\n", len(steps), failed, time.Since(start).Round(time.Millisecond))
	if failed > 0 {
		return failure(fmt.Errorf("%d demo steps failed", failed))
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// demoJobs runs what suits the device's services through the plugins.
func demoJobs(ctx context.Context, h *host.Host, inv *inventory.Inventory, d *sim.Device) []demoStep {
	sp := d.Spec()
	var steps []demoStep
	run := func(addr, typ, what string, job func(*host.Conn) (string, error)) {
		if addr == "" {
			return
		}
		t0 := time.Now()
		st := demoStep{device: sp.Name, what: what}
		dev, err := inv.Device(sp.Name, typ)
		if err != nil {
			st.err = err
			steps = append(steps, st)
			return
		}
		st.err = h.With(ctx, dev, host.Request{Type: typ, Fallback: true}, func(c *host.Conn) error {
			st.plugin = c.Plugin().Name
			var err error
			st.result, err = job(c)
			return err
		})
		if st.plugin == "" {
			if r, err := h.Resolve(dev, host.Request{Type: typ, Fallback: true}); err == nil {
				st.plugin = r.Entry.Plugin
			}
		}
		st.elapsed = time.Since(t0)
		if host.Kind(st.err) == "plugin_not_found" {
			st.err, st.result = nil, "skipped: no "+typ+" plugin installed"
		}
		steps = append(steps, st)
	}
	run(d.SSHAddr(), "ssh", "version facts", func(c *host.Conn) (string, error) {
		v, err := c.DeviceInfo().GetVersion(ctx)
		return fmt.Sprintf("%s %s %s serial %s", v.Hostname, v.Model, v.SoftwareRelease, v.Serial), err
	})
	if sp.Platform != "juniper_junos" && strings.HasSuffix(sp.Name, "1") {
		run(d.SSHAddr(), "ssh", "config + show run", func(c *host.Conn) (string, error) {
			if _, err := c.CLIConfig().SendConfig(ctx, sdk.ConfigRequest{Lines: []string{"interface Loopback100", "description set-by-netyard-demo"}}); err != nil {
				return "", err
			}
			r, err := c.CLI().SendCommand(ctx, "show running-config")
			if err != nil {
				return "", err
			}
			if !strings.Contains(r.Result, "set-by-netyard-demo") {
				return "", fmt.Errorf("the change is not in the running-config")
			}
			return "Loopback100 description in running-config", nil
		})
	}
	run(d.NETCONFAddr(), "netconf", "edit-config + get-config", func(c *host.Conn) (string, error) {
		edit := `<config><interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>demo0</name>` +
			`<description>set-by-netyard-demo</description><type xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">ianaift:softwareLoopback</type></interface></interfaces></config>`
		r, err := c.NETCONF().EditConfig(ctx, sdk.EditConfig{Target: "running", Config: edit})
		if err == nil && !r.OK && len(r.Errors) > 0 {
			// A server without writable-running: go through the candidate.
			if r, err = c.NETCONF().EditConfig(ctx, sdk.EditConfig{Target: "candidate", Config: edit}); err == nil && r.OK {
				r, err = c.NETCONF().Commit(ctx, sdk.CommitOptions{})
			}
		}
		if err != nil {
			return "", err
		}
		if !r.OK {
			return "", r.Errors[0]
		}
		g, err := c.NETCONF().GetConfig(ctx, "running", sdk.NetconfFilter{Type: "subtree",
			Content: `<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>demo0</name></interface></interfaces>`})
		if err != nil {
			return "", err
		}
		if !strings.Contains(g.Data, "set-by-netyard-demo") {
			return "", fmt.Errorf("get-config does not show the edit")
		}
		return fmt.Sprintf("demo0 in running (%d bytes of XML)", len(g.Data)), nil
	})
	run(d.HTTPAddr(), "restconf", "RESTCONF get", func(c *host.Conn) (string, error) {
		r, err := c.RESTCONF().Get(ctx, "ietf-interfaces:interfaces")
		if err != nil {
			return "", err
		}
		if r.Status != 200 {
			return "", fmt.Errorf("status %d", r.Status)
		}
		return fmt.Sprintf("HTTP %d, %d bytes of yang-data+json", r.Status, len(r.Body)), nil
	})
	return steps
}
