package bench

// Figure 6 of issue 8: a 64 MiB CLI output crossing the plugin boundary
// versus produced or read in process.

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/netyard/netyard/sdk"
	"github.com/netyard/netyard/sim"
)

const size64MiB = 64 << 20

// genBigOutput is the test plugin's `big N` output (internal/testplugin's
// bigOutput), generated in process: the in-process baseline.
func genBigOutput(n int) string {
	var b strings.Builder
	b.Grow(n + 16)
	for off := 0; b.Len() < n; off += 16 {
		fmt.Fprintf(&b, "%015x\n", off)
	}
	return b.String()[:n]
}

// BenchmarkCLI64MiB: per iteration, one 64 MiB output on each client,
// interleaved:
//
//	testplugin-host  `big 67108864` on the test plugin, through the host (gRPC, TLS)
//	inprocess        the same bytes generated in this process: the baseline
//	scrapli-host     a 64 MiB `show running-config` from a simulated IOS-XE
//	                 device through the scrapli-ssh plugin and the host
//	bare             the same output read by a bare x/crypto/ssh client (the floor)
//
// scrapligo in process as shipped is left out: ~2 s for 10 MB, super-linear.
func BenchmarkCLI64MiB(b *testing.B) {
	_, devs := newSim(b, 2, sim.Faults{OutputSize: size64MiB})
	ctx := context.Background()
	th := newHost(b, "", sdk.SessionPolicy{})
	tc, err := th.Open(ctx, benchDevice, benchReq)
	if err != nil {
		b.Fatal(err)
	}
	defer tc.Close()
	sh := scrapliHost(b, 0)
	sc, err := sh.Open(ctx, deviceOf(devs[0]), sshReq)
	if err != nil {
		b.Fatal(err)
	}
	defer sc.Close()
	bare, err := openBare(devs[1])
	if err != nil {
		b.Fatal(err)
	}
	defer bare.Close()
	check := func(n int) error {
		if n < size64MiB {
			return fmt.Errorf("short output: %d bytes", n)
		}
		return nil
	}
	l := latencies{}
	bigCmd := fmt.Sprintf("big %d", size64MiB)
	for b.Loop() {
		must(b, l.time("testplugin-host", func() error {
			r, err := tc.CLI().SendCommand(ctx, bigCmd)
			if err != nil {
				return err
			}
			return check(len(r.Result))
		}))
		must(b, l.time("inprocess", func() error { return check(len(genBigOutput(size64MiB))) }))
		must(b, l.time("scrapli-host", func() error {
			r, err := sc.CLI().SendCommand(ctx, "show running-config")
			if err != nil {
				return err
			}
			return check(len(r.Result))
		}))
		must(b, l.time("bare", func() error {
			n, err := bare.run("show running-config")
			if err != nil {
				return err
			}
			return check(n)
		}))
	}
	p50 := func(name string) float64 { return float64(pct(l[name], 0.5)) / float64(time.Millisecond) }
	for _, name := range slices.Sorted(maps.Keys(l)) {
		b.ReportMetric(p50(name), name+"-p50-ms")
	}
	b.ReportMetric(p50("testplugin-host")/p50("inprocess"), "testplugin-host/inprocess")
	b.ReportMetric(p50("scrapli-host")/p50("bare"), "scrapli-host/bare")
	b.ReportMetric(p50("testplugin-host")-p50("inprocess"), "boundary-ms")
}
