// Command worker shows the host library embedded in a worker: it runs one
// job (version facts and a few commands) on many devices concurrently,
// through whatever connection plugins are installed, retries what the typed
// errors say is worth retrying, and prints what happened per device and in
// sum.
//
//	worker --plugin-dir bin/plugins --sim 9 --concurrency 4
//	worker --plugin-dir bin/plugins --devices devices.json --command 'show clock'
//
// devices.json is a JSON array of sdk.Device records:
//
//	[{"id": "edge1", "platform": "cisco_iosxe", "host": "192.0.2.10", "username": "netops"}]
//
// A record without a password takes $WORKER_PASSWORD. The exit status is 0
// when every device succeeded, 1 when some failed, 2 for a usage error.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/sdk"
	"github.com/netyard/netyard/sim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// config is the worker's command line.
type config struct {
	pluginDirs  []string
	devicesFile string
	simDevices  int
	concurrency int
	commands    []string
	connType    string
	library     string
	retries     int
	timeout     time.Duration
}

// result is what one device's job came to.
type result struct {
	dev      sdk.Device
	plugin   string
	facts    sdk.DeviceInfo
	outputs  []sdk.Response
	err      error
	attempts int
	elapsed  time.Duration
}

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ", ") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	var dirs, commands stringList
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(&dirs, "plugin-dir", "plugin directory (repeatable; default $NETYARD_PLUGIN_DIR or ./bin/plugins)")
	fs.StringVar(&c.devicesFile, "devices", "", "JSON file: an array of device records")
	fs.IntVar(&c.simDevices, "sim", 0, "start this many simulated IOS-XE, EOS and Junos devices in-process instead")
	fs.IntVar(&c.concurrency, "concurrency", 10, "devices worked on at once")
	fs.Var(&commands, "command", "command to run on every device (repeatable; default \"show version\")")
	fs.StringVar(&c.connType, "type", "ssh", "connection type")
	fs.StringVar(&c.library, "library", "", "connection library (default: the platform's default plugin)")
	fs.IntVar(&c.retries, "retries", 2, "retries of a job whose error is retryable")
	fs.DurationVar(&c.timeout, "timeout", 60*time.Second, "time allowed per device, retries included")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	c.pluginDirs, c.commands = dirs, commands
	if len(c.commands) == 0 {
		c.commands = []string{"show version"}
	}
	switch {
	case fs.NArg() > 0:
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	case (c.devicesFile == "") == (c.simDevices == 0):
		return c, errors.New("give either --devices FILE or --sim N")
	case c.simDevices < 0 || c.concurrency < 1 || c.retries < 0 || c.timeout <= 0:
		return c, errors.New("--sim, --retries must not be negative; --concurrency, --timeout must be positive")
	}
	return c, nil
}

// run is the whole program; main only wires it to the process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "worker:", err)
		}
		return 2
	}
	var devices []sdk.Device
	if cfg.simDevices > 0 {
		s, err := startSim(ctx, cfg.simDevices)
		if err != nil {
			fmt.Fprintln(stderr, "worker:", err)
			return 1
		}
		defer s.Close()
		devices = simDevices(s)
		fmt.Fprintf(stdout, "simulator: %d devices on 127.0.0.1\n", len(devices))
	} else if devices, err = readDevices(cfg.devicesFile); err != nil {
		fmt.Fprintln(stderr, "worker:", err)
		return 2
	}

	// One Host for the whole worker: it pools plugin processes across jobs.
	h, err := host.New(host.Config{PluginDirs: cfg.pluginDirs, SkipBadPlugins: true})
	if err != nil {
		fmt.Fprintln(stderr, "worker:", err)
		return 2
	}
	defer h.Close()
	if len(h.Registry().Manifests()) == 0 {
		fmt.Fprintf(stderr, "worker: no plugins in %v: build them first (make build)\n", h.Registry().Dirs())
		return 2
	}

	start := time.Now()
	results := runJobs(ctx, h, cfg, devices)
	printResults(stdout, results, time.Since(start))
	for _, r := range results {
		if r.err != nil {
			return 1
		}
	}
	return 0
}

// runJobs works on the devices, at most cfg.concurrency at once, and
// returns the results in the devices' order.
func runJobs(ctx context.Context, h *host.Host, cfg config, devices []sdk.Device) []result {
	results := make([]result, len(devices))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(cfg.concurrency, len(devices)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				results[i] = runJob(ctx, h, cfg, devices[i])
			}
		}()
	}
	for i := range devices {
		work <- i
	}
	close(work)
	wg.Wait()
	return results
}

// runJob is one device's job, retried with backoff while the error says a
// retry may help (host.Retryable: unreachable, timeouts, dropped sessions).
func runJob(ctx context.Context, h *host.Host, cfg config, dev sdk.Device) result {
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	r := result{dev: dev}
	start := time.Now()
	req := host.Request{Type: cfg.connType, Library: cfg.library, Fallback: true,
		Capabilities: []string{sdk.CapDeviceInfo, sdk.CapCLI}}
	backoff := 200 * time.Millisecond
	for {
		r.attempts++
		r.outputs = nil
		r.err = h.With(ctx, dev, req, func(c *host.Conn) error {
			r.plugin = c.Plugin().Name
			var err error
			if r.facts, err = c.DeviceInfo().GetVersion(ctx); err != nil {
				return err
			}
			r.outputs, err = c.CLI().SendCommands(ctx, sdk.CommandsRequest{Commands: cfg.commands})
			return err
		})
		if r.err == nil || !host.Retryable(r.err) || r.attempts > cfg.retries {
			break
		}
		select {
		case <-time.After(backoff):
			backoff *= 2
		case <-ctx.Done():
			r.elapsed = time.Since(start)
			return r
		}
	}
	r.elapsed = time.Since(start)
	if r.plugin == "" { // Open failed: say which plugin it went to
		if res, err := h.Resolve(dev, req); err == nil {
			r.plugin = res.Entry.Plugin
		}
	}
	return r
}

func printResults(w io.Writer, results []result, elapsed time.Duration) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DEVICE\tPLATFORM\tPLUGIN\tRESULT\tTRIES\tTIME")
	byKind := map[string]int{}
	failed := 0
	var details []string
	for _, r := range results {
		res := fmt.Sprintf("%s %s %s", r.facts.Hostname, r.facts.Model, r.facts.SoftwareRelease)
		for _, o := range r.outputs {
			if o.Failed {
				res += fmt.Sprintf("; %q rejected", o.Command)
			}
		}
		if r.err != nil {
			failed++
			kind := host.Kind(r.err)
			if kind == "" {
				kind = "other"
			}
			byKind[kind]++
			retry := "not retryable"
			if host.Retryable(r.err) {
				retry = "retryable"
			}
			res = fmt.Sprintf("FAILED %s (%s)", kind, retry)
			details = append(details, fmt.Sprintf("  %s: %v", r.dev.ID, r.err))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", r.dev.ID, r.dev.Platform, dash(r.plugin), res, r.attempts,
			r.elapsed.Round(time.Millisecond))
	}
	tw.Flush()
	if len(details) > 0 {
		fmt.Fprintf(w, "\nerrors:\n%s\n", strings.Join(details, "\n"))
	}
	var kinds []string
	for k, n := range byKind {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(kinds)
	fmt.Fprintf(w, "\n%d devices: %d ok, %d failed", len(results), len(results)-failed, failed)
	if len(kinds) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(kinds, ", "))
	}
	fmt.Fprintf(w, " in %s\n", elapsed.Round(time.Millisecond))
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// readDevices reads a JSON array of device records.
func readDevices(path string) ([]sdk.Device, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var devs []sdk.Device
	if err := json.Unmarshal(data, &devs); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(devs) == 0 {
		return nil, fmt.Errorf("%s: no devices", path)
	}
	for i := range devs {
		if devs[i].ID == "" {
			devs[i].ID = devs[i].Name
		}
		if devs[i].ID == "" {
			devs[i].ID = devs[i].Host
		}
		if devs[i].Password == "" && len(devs[i].PrivateKey) == 0 {
			devs[i].Password = os.Getenv("WORKER_PASSWORD")
		}
	}
	return devs, nil
}

// startSim starts n CLI devices, IOS-XE, EOS and Junos in turn.
func startSim(ctx context.Context, n int) (*sim.Sim, error) {
	f := sim.FleetSpec{IOS: (n + 2) / 3, EOS: (n + 1) / 3, Junos: n / 3}
	s, err := sim.Fleet(ctx, sim.Options{}, f)
	if err != nil {
		return nil, fmt.Errorf("start the simulator: %w", err)
	}
	return s, nil
}

func simDevices(s *sim.Sim) []sdk.Device {
	var devs []sdk.Device
	for _, d := range s.Devices() {
		sp := d.Spec()
		h, p, _ := net.SplitHostPort(d.SSHAddr())
		port, _ := strconv.Atoi(p)
		devs = append(devs, sdk.Device{ID: sp.Name, Name: sp.Name, Platform: sp.Platform, Host: h, Port: port,
			Username: sp.Username, Password: sp.Password, EnableSecret: sp.EnableSecret})
	}
	return devs
}
