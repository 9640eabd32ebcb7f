// Command report turns `go test -bench` output (the benchstat format, with
// -count ≥ 3) into bench/REPORT.md: the machine, the commands, issue 8's
// seven figures with median, spread and ratios, and the goals met or not
// with the reasons kept in analysis.md.
//
//	go run ./bench/report -sysinfo start >  bench/last.txt   # machine, date, load
//	go test -run '^$' -bench ... ./bench    >> bench/last.txt
//	go run ./bench/report -sysinfo end   >> bench/last.txt
//	go run ./bench/report -in bench/last.txt -out bench/REPORT.md
package main

import (
	_ "embed"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

//go:embed analysis.md
var defaultAnalysis string

func main() {
	in := flag.String("in", "bench/last.txt", "benchmark output to read")
	out := flag.String("out", "bench/REPORT.md", "report to write")
	analysis := flag.String("analysis", "", "markdown file of per-goal analysis (default: the embedded analysis.md)")
	sysinfo := flag.String("sysinfo", "", "print configuration lines for the benchmark output instead: start or end")
	flag.Parse()
	if *sysinfo != "" {
		if err := printSysinfo(os.Stdout, *sysinfo); err != nil {
			fmt.Fprintln(os.Stderr, "report:", err)
			os.Exit(2)
		}
		return
	}
	if err := run(*in, *out, *analysis); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

func run(in, out, analysisFile string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := Parse(f)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	text := defaultAnalysis
	if analysisFile != "" {
		b, err := os.ReadFile(analysisFile)
		if err != nil {
			return err
		}
		text = string(b)
	}
	var b strings.Builder
	Render(&b, res, ParseAnalysis(text), in)
	if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "report: %s written from %s (%d benchmarks, %d failures)\n", out, in, len(res.Order), len(res.Failures))
	return nil
}

// printSysinfo writes benchmark-format configuration lines describing the
// machine and its load now.
func printSysinfo(w io.Writer, when string) error {
	now := time.Now().UTC().Format(time.RFC3339)
	load := firstFields(readFile("/proc/loadavg"), 3)
	switch when {
	case "start":
		fmt.Fprintf(w, "date-start: %s\n", now)
		fmt.Fprintf(w, "cpu-model: %s\n", cpuModel())
		fmt.Fprintf(w, "cores: %d\n", runtime.NumCPU())
		fmt.Fprintf(w, "memory: %s\n", memTotal())
		fmt.Fprintf(w, "kernel: %s\n", strings.TrimSpace(readFile("/proc/sys/kernel/osrelease")))
		fmt.Fprintf(w, "go-version: %s\n", goVersion())
		fmt.Fprintf(w, "loadavg-start: %s\n", load)
	case "end":
		fmt.Fprintf(w, "date-end: %s\n", now)
		fmt.Fprintf(w, "loadavg-end: %s\n", load)
	default:
		return fmt.Errorf("-sysinfo %q: want start or end", when)
	}
	return nil
}

func readFile(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

func firstFields(s string, n int) string {
	f := strings.Fields(s)
	return strings.Join(f[:min(n, len(f))], " ")
}

func cpuModel() string {
	for _, line := range strings.Split(readFile("/proc/cpuinfo"), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func memTotal() string {
	for _, line := range strings.Split(readFile("/proc/meminfo"), "\n") {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			var kb float64
			fmt.Sscan(v, &kb)
			return fmt.Sprintf("%.1f GiB", kb/(1<<20))
		}
	}
	return "unknown"
}

// goVersion is the toolchain `go test` uses (the go command on PATH), not
// necessarily the one that built this program.
func goVersion() string {
	if out, err := exec.Command("go", "env", "GOVERSION").Output(); err == nil {
		return strings.TrimSpace(string(out))
	}
	return runtime.Version()
}
