package bench

// Figures 4 and 7 of issue 8, beyond BenchmarkScrapliFleet: how the fan-out
// wall time and memory grow from 10 to 1,000 devices, and what 1,000 idle
// sessions cost (CPU of host and plugins, peak RSS) with the default
// multiplexed policy and with one process per connection.

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netyard/netyard/host"
	"github.com/netyard/netyard/sim"
)

// procStatusKB is a field of /proc/<pid>/status in KiB (VmRSS, VmHWM).
func procStatusKB(pid int, field string) int64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

func sumStatusKB(pids []int, field string) int64 {
	var n int64
	for _, pid := range pids {
		n += procStatusKB(pid, field)
	}
	return n
}

// liveBytes is this process's live heap plus goroutine stacks after a GC.
func liveBytes() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc + m.StackInuse)
}

// openAll opens a host session to every device, inFlight at a time, and
// returns them with the plugin pids that serve them.
func openAll(b *testing.B, h *host.Host, devs []*sim.Device, inFlight int) ([]*host.Conn, []int) {
	b.Helper()
	ctx := context.Background()
	conns := make([]*host.Conn, len(devs))
	var mu sync.Mutex
	pids := map[int]bool{}
	idx := make(map[*sim.Device]int, len(devs))
	for i, d := range devs {
		idx[d] = i
	}
	fleet(b, devs, inFlight, func(d *sim.Device) error {
		c, err := h.Open(ctx, deviceOf(d), sshReq)
		if err != nil {
			return err
		}
		mu.Lock()
		pids[c.Plugin().PID] = true
		conns[idx[d]] = c
		mu.Unlock()
		return nil
	})
	return conns, slices.Sorted(maps.Keys(pids))
}

func closeAll(conns []*host.Conn) {
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
}

// showVersion is the fan-out unit through the host: open, show version, close.
func showVersion(h *host.Host) func(*sim.Device) error {
	ctx := context.Background()
	return func(d *sim.Device) error {
		c, err := h.Open(ctx, deviceOf(d), sshReq)
		if err != nil {
			return err
		}
		defer c.Close()
		r, err := c.CLI().SendCommand(ctx, "show version")
		if err == nil && !strings.Contains(r.Result, d.Spec().Serial) {
			err = errors.New("wrong show version")
		}
		return err
	}
}

// BenchmarkScaling: 10, 100 and 1,000 simulated devices, 200 in flight.
// Wall time of the fan-out (open, show version, close) through the host and
// with scrapligo in process as shipped; then memory with every device's
// session held open: the plugins' resident set (sum of VmRSS), the live heap
// + stacks this process gained (host side plus the simulator's server
// sessions), and the same live-heap growth for scrapligo in process (its
// drivers plus the simulator's sessions). Memory per session is
// (plugins RSS + host-side growth) / devices.
func BenchmarkScaling(b *testing.B) {
	const inFlight = 200
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) {
			_, devs := newSim(b, n, sim.Faults{})
			for b.Loop() {
				h := scrapliHost(b, 0)
				hostWall := fleet(b, devs, inFlight, showVersion(h))
				live0 := liveBytes()
				conns, pids := openAll(b, h, devs, inFlight)
				hostLive := liveBytes() - live0
				pluginsRSS := sumStatusKB(pids, "VmRSS")
				closeAll(conns)
				h.Close()

				shippedWall := fleet(b, devs, inFlight, scrapligoShowVersion)
				live0 = liveBytes()
				var mu sync.Mutex
				var drivers []interface{ Close() error }
				fleet(b, devs, inFlight, func(d *sim.Device) error {
					drv, err := openScrapligo(d)
					if err == nil {
						mu.Lock()
						drivers = append(drivers, drv)
						mu.Unlock()
					}
					return err
				})
				shippedLive := liveBytes() - live0
				for _, d := range drivers {
					d.Close()
				}

				b.ReportMetric(hostWall.Seconds(), "host-wall-s")
				b.ReportMetric(shippedWall.Seconds(), "scrapligo-wall-s")
				b.ReportMetric(hostWall.Seconds()/shippedWall.Seconds(), "host/scrapligo")
				b.ReportMetric(float64(len(pids)), "plugin-procs")
				b.ReportMetric(float64(pluginsRSS)/1024, "plugins-RSS-MB")
				b.ReportMetric(float64(hostLive)/(1<<20), "host-side-live-MB")
				b.ReportMetric(float64(shippedLive)/(1<<20), "scrapligo-live-MB")
				b.ReportMetric((float64(pluginsRSS)*1024+float64(hostLive))/float64(n)/1024, "host-KB/session")
				b.ReportMetric(float64(shippedLive)/float64(n)/1024, "scrapligo-KB/session")
			}
		})
	}
}

// BenchmarkOpenSessions holds N sessions open through the host and
// measures, after a 1 s settle, the CPU that host and plugins use over 5 s
// of idleness (utime + stime from /proc/<pid>/stat, 1/100 s ticks) and the
// peak RSS of the plugin processes (VmHWM) plus this process's RSS (host +
// simulator + benchmark: an upper bound on the host's share). Policies: the
// default multiplexed one (scrapli-ssh's manifest: 256 sessions a process)
// with 1,000 and 200 sessions, and one process per connection
// (per_process 1) with 200 sessions only: at ~15 MB a process, 1,000 would
// need ~15 GB.
func BenchmarkOpenSessions(b *testing.B) {
	const settle, idle = time.Second, 5 * time.Second
	for _, c := range []struct {
		policy     string
		perProcess int
		n          int
	}{{"multiplexed", 0, 1000}, {"multiplexed", 0, 200}, {"per-connection", 1, 200}} {
		b.Run(fmt.Sprintf("policy=%s/sessions=%d", c.policy, c.n), func(b *testing.B) {
			// The simulator runs in its own process, so the benchmark
			// process's memory and CPU are the host's alone.
			devs := simProcess(b, c.n)
			self := os.Getpid()
			for b.Loop() {
				debug.FreeOSMemory()
				selfBefore := procStatusKB(self, "VmRSS")
				h := scrapliHost(b, c.perProcess)
				conns, pids := openDevices(b, h, devs, 50) // not timed; launches stay within the start timeout
				time.Sleep(settle)
				p0, s0 := cpuTicks(pids), cpuTicks([]int{self})
				time.Sleep(idle)
				pluginsCPU := float64(cpuTicks(pids)-p0) / 100 / idle.Seconds() * 100
				selfCPU := float64(cpuTicks([]int{self})-s0) / 100 / idle.Seconds() * 100
				pluginsHWM := sumStatusKB(pids, "VmHWM")
				selfRSS := procStatusKB(self, "VmRSS")
				closeAll(conns)
				h.Close()

				b.ReportMetric(float64(len(pids)), "plugin-procs")
				b.ReportMetric(float64(pluginsHWM)/1024, "plugins-peak-RSS-MB")
				b.ReportMetric(float64(selfRSS)/1024, "host-proc-RSS-MB")
				b.ReportMetric(float64(selfRSS-selfBefore)/1024, "host-proc-RSS-growth-MB")
				b.ReportMetric(float64(pluginsHWM+selfRSS)/1024, "total-RSS-MB")
				b.ReportMetric(float64(pluginsHWM)/float64(c.n), "plugins-KB/session")
				b.ReportMetric(pluginsCPU, "idle-cpu-%-plugins")
				b.ReportMetric(selfCPU, "idle-cpu-%-host-proc")
				b.ReportMetric(pluginsCPU+selfCPU, "idle-cpu-%-total")
			}
		})
	}
}
