package main

import (
	"os"
	"strings"
	"testing"
)

func parseFixture(t *testing.T) *Results {
	t.Helper()
	f, err := os.Open("testdata/fixture.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestParse(t *testing.T) {
	res := parseFixture(t)
	if got := res.Get("ColdStart/tls=fast", "ns/op"); len(got) != 3 || got[1] != 12e6 {
		t.Errorf("ColdStart/tls=fast ns/op = %v", got)
	}
	if got := res.Get("ColdStart/tls=fast", "allocs/op"); len(got) != 3 {
		t.Errorf("allocs/op = %v", got)
	}
	// Custom units from b.ReportMetric, with % and / in them.
	if got := res.Get("ScrapliFleet", "idle-1000-sessions-cpu-%"); len(got) != 1 || got[0] != 0 {
		t.Errorf("custom unit = %v", got)
	}
	if got := res.Get("ScrapliFleet", "host/scrapligo"); len(got) != 1 || got[0] != 0.9687 {
		t.Errorf("ratio unit = %v", got)
	}
	// A benchmark's own line that is not a result is not a benchmark.
	if _, ok := res.Values["NetconfGetConfig:"]; ok {
		t.Error("parsed a non-result line as a result")
	}
	if _, ok := res.Values["NetconfGetConfig/10MB/base=1.1/client=scrapli"]; ok {
		t.Error("parsed a name-only line as a result")
	}
	if len(res.Skips) != 1 || !strings.Contains(res.Skips[0], "past scrapligo's 60 s default timeout") {
		t.Errorf("skips = %q", res.Skips)
	}
	if len(res.Failures) != 0 {
		t.Errorf("failures = %q", res.Failures)
	}
	if got := res.ConfigValue("loadavg-start"); got != "5.34 4.61 2.97" {
		t.Errorf("loadavg-start = %q", got)
	}
	if got := res.ConfigValues("command"); len(got) != 1 || !strings.Contains(got[0], "-count 3") {
		t.Errorf("command = %q", got)
	}
	if got := res.ConfigValue("cpu"); got != "AMD EPYC" {
		t.Errorf("cpu = %q", got)
	}
}

func TestParseFailures(t *testing.T) {
	res, err := Parse(strings.NewReader("BenchmarkX-2 \t 10\t 5 ns/op\n--- FAIL: BenchmarkY\n    y_test.go:1: boom\nFAIL\nexit status 1\nFAIL\tgithub.com/x\t1.0s\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failures) != 4 {
		t.Errorf("failures = %q", res.Failures)
	}
	if got := res.Get("X", "ns/op"); len(got) != 1 || got[0] != 5 {
		t.Errorf("X = %v", got)
	}
}

func TestSummarize(t *testing.T) {
	s := Summarize([]float64{5, 1, 3, 2, 4})
	if s.N != 5 || s.Median != 3 || s.Min != 1 || s.Max != 5 || s.Q1 != 2 || s.Q3 != 4 {
		t.Errorf("%+v", s)
	}
	if s := Summarize([]float64{1, 2}); s.Median != 1.5 {
		t.Errorf("median of two = %v", s.Median)
	}
	if s := Summarize(nil); s.OK {
		t.Error("summary of nothing is OK")
	}
}

func TestEvaluate(t *testing.T) {
	res := parseFixture(t)
	goals := map[string]Goal{}
	for _, g := range Goals() {
		goals[g.ID] = g
	}
	// 30 ms / 11 ms = 2.73: under 3×.
	r := Evaluate(res, goals["cold-start"])
	if !r.HasValue || r.Met || r.Value < 2.72 || r.Value > 2.73 {
		t.Errorf("cold-start: %+v", r)
	}
	// host p50 230 ms > 150; floor 150 ms meets it (<=).
	r = Evaluate(res, goals["cli-10mb"])
	if !r.HasValue || r.Met || r.Value != 230 || !r.HasFlr || r.FloorValue != 150 || r.FloorMisses {
		t.Errorf("cli-10mb: %+v", r)
	}
	r = Evaluate(res, goals["fan-out"])
	if !r.HasValue || !r.Met {
		t.Errorf("fan-out: %+v", r)
	}
	if r := Evaluate(res, goals["warm-open"]); r.HasValue {
		t.Errorf("warm-open measured without data: %+v", r)
	}
}

func TestRender(t *testing.T) {
	res := parseFixture(t)
	an := ParseAnalysis("intro\n## cold-start\nAutoMTLS is slow because.\n## fan-out/met\nFine.\n")
	var b strings.Builder
	Render(&b, res, an, "fixture.txt")
	out := b.String()
	for _, want := range []string{
		"| CPU | AMD EPYC |",
		"| cores | 2 |",
		"| load average (1, 5, 15 min) at end | 4.00 4.50 3.00 |",
		"-benchtime 60x -count 3",
		"| secure cold start ≥ 3× faster than go-plugin AutoMTLS | 1 | 2.73× | — | **not met** |",
		"| test plugin | netyard, fast mTLS (ours) | 11.0 ms | 10.0–12.0 | 3 | 0.367× | — |",
		"| go-plugin AutoMTLS (baseline) | 30.0 ms | 20.0–40.0 | 3 | baseline |",
		"### secure cold start ≥ 3× faster than go-plugin AutoMTLS — not met",
		"AutoMTLS is slow because.",
		"Fine.",
		"### warm open ≤ 0.3 ms — not measured",
		"skipped: BenchmarkNetconfGetConfig/10MB/base=1.1/client=scrapli",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(out)
	}
}

func TestNum(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 0.268: "0.268", 1.5: "1.50", 12.34: "12.3", 227: "227", 2036: "2,036", 97000: "97,000", 0.00013: "0.00013", 4: "4", 200: "200"} {
		if got := num(v); got != want {
			t.Errorf("num(%v) = %q, want %q", v, got, want)
		}
	}
}
