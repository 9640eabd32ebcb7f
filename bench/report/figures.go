package main

import "fmt"

// The report's content as data: which benchmark metric is which
// implementation of which figure of issue 8, and the goals. Numbers
// come from the benchmark output only.

// Metric names one benchmark's unit, and a factor to the displayed unit.
type Metric struct {
	Bench, Unit string
	Scale       float64 // displayed = value × Scale; 0 means 1
}

func (m Metric) scale() float64 {
	if m.Scale == 0 {
		return 1
	}
	return m.Scale
}

// Row is one implementation in a figure. Base and Floor name other rows of
// the same group (by Label) that this row's median is divided by.
type Row struct {
	Label string
	M     Metric
	Unit  string // displayed unit
	Base  string
	Floor string
}

// Group is one case of a figure (a size, a framing, a device count).
type Group struct {
	Case string
	Rows []Row
}

// Figure is one of the seven figures.
type Figure struct {
	N      int
	Title  string
	About  string // what is measured and how
	Groups []Group
}

const (
	nsToMs = 1e-6
	usToMs = 1e-3
)

func ms(bench string) Metric { return Metric{Bench: bench, Unit: "ns/op", Scale: nsToMs} }

// Figures are issue 8's seven figures.
func Figures() []Figure {
	cs := "ColdStart/"
	figs := []Figure{
		{N: 1, Title: "Cold start, mTLS on",
			About: "launch + go-plugin handshake + Describe + open + first call + close, process killed; one per iteration. " +
				"netyard rows go through the host; go-plugin rows are a bare go-plugin client (no netyard host) launching the same test plugin binary.",
			Groups: []Group{{Case: "test plugin", Rows: []Row{
				{Label: "netyard, fast mTLS (ours)", M: ms(cs + "tls=fast"), Unit: "ms", Base: "go-plugin AutoMTLS (baseline)", Floor: "go-plugin, no TLS (floor)"},
				{Label: "netyard, go-plugin AutoMTLS", M: ms(cs + "tls=auto"), Unit: "ms", Base: "go-plugin AutoMTLS (baseline)", Floor: "go-plugin, no TLS (floor)"},
				{Label: "netyard, no TLS", M: ms(cs + "tls=off"), Unit: "ms", Base: "go-plugin AutoMTLS (baseline)", Floor: "go-plugin, no TLS (floor)"},
				{Label: "go-plugin AutoMTLS (baseline)", M: ms(cs + "goplugin=auto"), Unit: "ms", Base: "go-plugin AutoMTLS (baseline)", Floor: "go-plugin, no TLS (floor)"},
				{Label: "go-plugin, no TLS (floor)", M: ms(cs + "goplugin=off"), Unit: "ms", Base: "go-plugin AutoMTLS (baseline)", Floor: "go-plugin, no TLS (floor)"},
			}}}},
		{N: 2, Title: "Warm open from the pool, and unary call overhead",
			About: "test plugin, default (fast) mTLS. Warm open: Open on a pooled process, the Close after it untimed. " +
				"Unary call: one cli call (`show version`) through the host and the plugin process versus the same work as a direct in-process call.",
			Groups: []Group{
				{Case: "warm open", Rows: []Row{
					{Label: "Open (pooled process)", M: ms("WarmOpen"), Unit: "ms"},
					{Label: "Open + Close (pooled process)", M: ms("WarmOpenClose"), Unit: "ms"},
				}},
				{Case: "unary call", Rows: []Row{
					{Label: "through host + plugin (ours)", M: ms("UnaryCall"), Unit: "ms", Base: "direct in-process call (floor)", Floor: "direct in-process call (floor)"},
					{Label: "direct in-process call (floor)", M: ms("DirectCall"), Unit: "ms", Base: "direct in-process call (floor)", Floor: "direct in-process call (floor)"},
				}},
			}},
		{N: 3, Title: "Per-command latency: `show version`",
			About: "one `show version` per iteration on each client against its own simulated IOS-XE device, interleaved; " +
				"the per-run figure is each client's p50 over the run's iterations.",
			Groups: []Group{{Case: "p50", Rows: showVersionRows("p50")}, {Case: "p90", Rows: showVersionRows("p90")}}},
		{N: 4, Title: "Fan-out: 1,000 simulated devices × `show version`, 200 in flight",
			About: "BenchmarkScrapliFleet: open, `show version`, close per device, fresh host per run. Memory: " +
				"BenchmarkOpenSessions holds the sessions open against a simulator in its own process and reads VmHWM of every plugin process " +
				"and VmRSS of the benchmark process (the host). One process per connection is measured with 200 sessions " +
				"(at ~15–20 MB a process, 1,000 would need tens of GB on this machine). The Fleet benchmark process peak (VmHWM) is cumulative over " +
				"the runs in one process, so after the first run it includes the in-process scrapligo fan-out of the previous run.",
			Groups: []Group{
				{Case: "wall time", Rows: []Row{
					{Label: "through the host (ours)", M: Metric{Bench: "ScrapliFleet", Unit: "host-wall-s"}, Unit: "s", Base: "scrapligo in process, as shipped (baseline)"},
					{Label: "scrapligo in process, as shipped (baseline)", M: Metric{Bench: "ScrapliFleet", Unit: "scrapligo-wall-s"}, Unit: "s", Base: "scrapligo in process, as shipped (baseline)"},
					{Label: "ratio host / scrapligo, per run", M: Metric{Bench: "ScrapliFleet", Unit: "host/scrapligo"}, Unit: "×"},
				}},
				{Case: "peak RSS after the fan-out + 1,000 idle (Fleet)", Rows: []Row{
					{Label: "plugin processes", M: Metric{Bench: "ScrapliFleet", Unit: "plugin-procs"}, Unit: "procs"},
					{Label: "plugins, sum of peak RSS", M: Metric{Bench: "ScrapliFleet", Unit: "plugins-peak-RSS-MB"}, Unit: "MB"},
					{Label: "benchmark process peak RSS (host + simulator)", M: Metric{Bench: "ScrapliFleet", Unit: "bench-proc-peak-RSS-MB"}, Unit: "MB"},
				}},
				openSessionsGroup("multiplexed (default), 1,000 sessions", "OpenSessions/policy=multiplexed/sessions=1000"),
				openSessionsGroup("multiplexed (default), 200 sessions", "OpenSessions/policy=multiplexed/sessions=200"),
				openSessionsGroup("one process per connection, 200 sessions", "OpenSessions/policy=per-connection/sessions=200"),
			}},
		{N: 5, Title: "NETCONF get-config, 1 KB to 10 MB, both framings",
			About: "per call, each client against its own simulated device. ncclient's figure is timed inside the Python script " +
				"(median of a few calls, one value per run). scrapligo as shipped for 10 MB base:1.1 (~97 s a call) runs only with NETYARD_BENCH_SLOW=1.",
			Groups: netconfGroups()},
		{N: 6, Title: "Large CLI output: 10 MB and 64 MiB",
			About: "10 MB: BenchmarkScrapli10MB, a 10 MB `show running-config` from a simulated IOS-XE device, clients interleaved, p50 per run. " +
				"64 MiB: BenchmarkCLI64MiB: the test plugin's `big 67108864` through the host versus generating the same bytes in process " +
				"(the boundary cost alone), and a 64 MiB `show running-config` through scrapli-ssh versus a bare x/crypto/ssh client.",
			Groups: []Group{
				{Case: "10 MB, simulated device", Rows: []Row{
					{Label: "scrapli-ssh through the host (ours)", M: Metric{Bench: "Scrapli10MB", Unit: "host-p50-ms"}, Unit: "ms", Base: "scrapligo in process, as shipped (baseline)", Floor: "bare x/crypto/ssh (floor)"},
					{Label: "scrapligo in process, as shipped (baseline)", M: Metric{Bench: "Scrapli10MB", Unit: "scrapligo-p50-ms"}, Unit: "ms", Base: "scrapligo in process, as shipped (baseline)", Floor: "bare x/crypto/ssh (floor)"},
					{Label: "scrapligo tuned (ReadDelay 0, 1 MiB reads, no prompt strip)", M: Metric{Bench: "Scrapli10MB", Unit: "tuned-p50-ms"}, Unit: "ms", Base: "scrapligo in process, as shipped (baseline)", Floor: "bare x/crypto/ssh (floor)"},
					{Label: "bare x/crypto/ssh (floor)", M: Metric{Bench: "Scrapli10MB", Unit: "bare-p50-ms"}, Unit: "ms", Base: "scrapligo in process, as shipped (baseline)", Floor: "bare x/crypto/ssh (floor)"},
				}},
				{Case: "64 MiB, test plugin (boundary only)", Rows: []Row{
					{Label: "`big 67108864` through the host (ours)", M: Metric{Bench: "CLI64MiB", Unit: "testplugin-host-p50-ms"}, Unit: "ms", Base: "same bytes generated in process (baseline)"},
					{Label: "same bytes generated in process (baseline)", M: Metric{Bench: "CLI64MiB", Unit: "inprocess-p50-ms"}, Unit: "ms", Base: "same bytes generated in process (baseline)"},
					{Label: "boundary cost (host − in process), per run", M: Metric{Bench: "CLI64MiB", Unit: "boundary-ms"}, Unit: "ms"},
				}},
				{Case: "64 MiB, simulated device", Rows: []Row{
					{Label: "scrapli-ssh through the host (ours)", M: Metric{Bench: "CLI64MiB", Unit: "scrapli-host-p50-ms"}, Unit: "ms", Floor: "bare x/crypto/ssh in process (floor)"},
					{Label: "bare x/crypto/ssh in process (floor)", M: Metric{Bench: "CLI64MiB", Unit: "bare-p50-ms"}, Unit: "ms", Floor: "bare x/crypto/ssh in process (floor)"},
				}},
			}},
		{N: 7, Title: "Scaling: 10, 100, 1,000 devices",
			About: "BenchmarkScaling, 200 in flight. Wall time of the fan-out (open, `show version`, close). Memory with every device's session held open: " +
				"the plugins' resident set (sum of VmRSS) plus the live heap + stacks the benchmark process gained (host side and the simulator's server " +
				"sessions), per session; for scrapligo in process, the live heap + stacks gained (its drivers and the simulator's sessions) per session — " +
				"live heap only, without GC headroom or a process's fixed cost, so the in-process baseline is a lower bound and the ratio overstates the host's cost.",
			Groups: scalingGroups()},
	}
	return figs
}

func showVersionRows(p string) []Row {
	const base, floor = "scrapligo in process, as shipped (baseline)", "bare x/crypto/ssh (floor)"
	m := func(c string) Metric {
		return Metric{Bench: "ScrapliShowVersion", Unit: c + "-" + p + "-us", Scale: usToMs}
	}
	return []Row{
		{Label: "scrapli-ssh through the host (ours)", M: m("host"), Unit: "ms", Base: base, Floor: floor},
		{Label: base, M: m("scrapligo"), Unit: "ms", Base: base, Floor: floor},
		{Label: "scrapligo in process, ReadDelay 0", M: m("readdelay0"), Unit: "ms", Base: base, Floor: floor},
		{Label: floor, M: m("bare"), Unit: "ms", Base: base, Floor: floor},
	}
}

func openSessionsGroup(title, bench string) Group {
	m := func(u string) Metric { return Metric{Bench: bench, Unit: u} }
	return Group{Case: title, Rows: []Row{
		{Label: "plugin processes", M: m("plugin-procs"), Unit: "procs"},
		{Label: "plugins, sum of peak RSS", M: m("plugins-peak-RSS-MB"), Unit: "MB"},
		{Label: "plugins, peak RSS per session", M: m("plugins-KB/session"), Unit: "KB"},
		{Label: "host process RSS (simulator in its own process)", M: m("host-proc-RSS-MB"), Unit: "MB"},
		{Label: "host process RSS growth while the sessions open", M: m("host-proc-RSS-growth-MB"), Unit: "MB"},
		{Label: "total RSS (plugins peak + host process)", M: m("total-RSS-MB"), Unit: "MB"},
		{Label: "idle CPU over 5 s: plugins", M: m("idle-cpu-%-plugins"), Unit: "% of a core"},
		{Label: "idle CPU over 5 s: host process", M: m("idle-cpu-%-host-proc"), Unit: "% of a core"},
		{Label: "idle CPU over 5 s: total", M: m("idle-cpu-%-total"), Unit: "% of a core"},
	}}
}

func netconfGroups() []Group {
	var gs []Group
	for _, size := range []string{"1KB", "100KB", "1MB", "10MB"} {
		for _, base := range []string{"1.0", "1.1"} {
			b := fmt.Sprintf("NetconfGetConfig/%s/base=%s/client=", size, base)
			const sl, fl = "scrapligo driver in process, as shipped (baseline)", "x/crypto/ssh + RFC 6242 framer, no parsing (floor)"
			row := func(label, client string) Row {
				return Row{Label: label, M: ms(b + client), Unit: "ms", Base: sl, Floor: fl}
			}
			gs = append(gs, Group{Case: size + ", base:" + base, Rows: []Row{
				row("netconf plugin through the host (ours)", "host"),
				row(sl, "scrapli"),
				row("scrapligo driver, 1 MiB reads", "scrapli-1MiB"),
				row("python3-ncclient", "ncclient"),
				row(fl, "floor"),
			}})
		}
	}
	return gs
}

func scalingGroups() []Group {
	var gs []Group
	for _, n := range []string{"10", "100", "1000"} {
		m := func(u string) Metric { return Metric{Bench: "Scaling/devices=" + n, Unit: u} }
		const wb, mb = "fan-out wall, scrapligo in process (baseline)", "memory per session, scrapligo in process (baseline)"
		gs = append(gs, Group{Case: n + " devices", Rows: []Row{
			{Label: "fan-out wall, through the host (ours)", M: m("host-wall-s"), Unit: "s", Base: wb},
			{Label: wb, M: m("scrapligo-wall-s"), Unit: "s", Base: wb},
			{Label: "plugin processes", M: m("plugin-procs"), Unit: "procs"},
			{Label: "plugins' RSS, sessions open", M: m("plugins-RSS-MB"), Unit: "MB"},
			{Label: "host-side live heap + stacks gained (incl. simulator)", M: m("host-side-live-MB"), Unit: "MB"},
			{Label: "memory per session, through the host (ours)", M: m("host-KB/session"), Unit: "KB", Base: mb},
			{Label: mb, M: m("scrapligo-KB/session"), Unit: "KB", Base: mb},
		}})
	}
	return gs
}

// Goal is one of the goals: Value = Σ medians(Num) / Σ medians(Den)
// (Den empty: 1), compared with Limit by Op. Floor, when set, is the same
// quantity for the floor: a floor that misses the goal is reported.
type Goal struct {
	ID     string
	Fig    int
	Text   string
	Num    []Metric
	Den    []Metric
	Op     string // "<=", "<", ">="
	Limit  float64
	Unit   string
	Floor  []Metric
	Detail string // how Value is computed, for the reader
}

// Goals are issue 8's goals.
func Goals() []Goal {
	return []Goal{
		{ID: "cold-start", Fig: 1, Text: "secure cold start ≥ 3× faster than go-plugin AutoMTLS",
			Num: []Metric{ms("ColdStart/goplugin=auto")}, Den: []Metric{ms("ColdStart/tls=fast")}, Op: ">=", Limit: 3, Unit: "×",
			Detail: "median go-plugin AutoMTLS cold start / median netyard fast-mTLS cold start"},
		{ID: "warm-open", Fig: 2, Text: "warm open ≤ 0.3 ms",
			Num: []Metric{ms("WarmOpen")}, Op: "<=", Limit: 0.3, Unit: "ms", Detail: "median of BenchmarkWarmOpen"},
		{ID: "show-version", Fig: 3, Text: "`show version` through the host p50 ≤ 1 ms",
			Num: []Metric{{Bench: "ScrapliShowVersion", Unit: "host-p50-us", Scale: usToMs}}, Op: "<=", Limit: 1, Unit: "ms",
			Floor: []Metric{{Bench: "ScrapliShowVersion", Unit: "bare-p50-us", Scale: usToMs}}, Detail: "median over runs of the per-run p50"},
		{ID: "fan-out", Fig: 4, Text: "fan-out wall time no worse than in-process scrapligo as shipped at the same concurrency",
			Num: []Metric{{Bench: "ScrapliFleet", Unit: "host/scrapligo"}}, Op: "<=", Limit: 1, Unit: "×",
			Detail: "median over runs of host wall / scrapligo wall (same run)"},
		{ID: "idle-rss", Fig: 4, Text: "1,000 open sessions in ≤ 400 MB total RSS",
			Num: []Metric{{Bench: "OpenSessions/policy=multiplexed/sessions=1000", Unit: "total-RSS-MB"}}, Op: "<=", Limit: 400, Unit: "MB",
			Detail: "plugins' peak RSS + host process RSS (the simulator runs in its own process)"},
		{ID: "idle-cpu", Fig: 4, Text: "1,000 open sessions use < 5 % of one core while idle",
			Num: []Metric{{Bench: "OpenSessions/policy=multiplexed/sessions=1000", Unit: "idle-cpu-%-total"}}, Op: "<", Limit: 5, Unit: "% of a core",
			Detail: "plugins + host process, utime+stime over 5 s (the simulator runs in its own process)"},
		{ID: "netconf-10mb-1.0", Fig: 5, Text: "NETCONF 10 MB get-config ≤ 150 ms, base:1.0 (end-of-message) framing",
			Num: []Metric{ms("NetconfGetConfig/10MB/base=1.0/client=host")}, Op: "<=", Limit: 150, Unit: "ms",
			Floor: []Metric{ms("NetconfGetConfig/10MB/base=1.0/client=floor")}},
		{ID: "netconf-10mb-1.1", Fig: 5, Text: "NETCONF 10 MB get-config ≤ 150 ms, base:1.1 (chunked) framing",
			Num: []Metric{ms("NetconfGetConfig/10MB/base=1.1/client=host")}, Op: "<=", Limit: 150, Unit: "ms",
			Floor: []Metric{ms("NetconfGetConfig/10MB/base=1.1/client=floor")}},
		{ID: "cli-10mb", Fig: 6, Text: "10 MB CLI output ≤ 150 ms",
			Num: []Metric{{Bench: "Scrapli10MB", Unit: "host-p50-ms"}}, Op: "<=", Limit: 150, Unit: "ms",
			Floor: []Metric{{Bench: "Scrapli10MB", Unit: "bare-p50-ms"}}, Detail: "median over runs of the per-run p50"},
	}
}
