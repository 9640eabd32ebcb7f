package main

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// ParseAnalysis splits a markdown file into sections by "## <key>" headings.
// Key "<goal id>" is printed when that goal is not met, "<goal id>/met"
// when it is.
func ParseAnalysis(text string) map[string]string {
	out := map[string]string{}
	var key string
	var body []string
	flush := func() {
		if key != "" {
			out[key] = strings.TrimSpace(strings.Join(body, "\n"))
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if k, ok := strings.CutPrefix(line, "## "); ok {
			flush()
			key, body = strings.TrimSpace(k), nil
			continue
		}
		body = append(body, line)
	}
	flush()
	return out
}

// summary is one metric's summary in displayed units.
func summary(res *Results, m Metric) Summary {
	vs := res.Get(m.Bench, m.Unit)
	scaled := make([]float64, len(vs))
	for i, v := range vs {
		scaled[i] = v * m.scale()
	}
	return Summarize(scaled)
}

// GoalResult is a goal evaluated on a run.
type GoalResult struct {
	Goal
	Value, FloorValue float64
	HasValue, HasFlr  bool
	Met               bool
	FloorMisses       bool
}

func sumMedians(res *Results, ms []Metric) (float64, bool) {
	total := 0.0
	for _, m := range ms {
		s := summary(res, m)
		if !s.OK {
			return 0, false
		}
		total += s.Median
	}
	return total, true
}

func compare(v float64, op string, limit float64) bool {
	switch op {
	case "<=":
		return v <= limit
	case "<":
		return v < limit
	case ">=":
		return v >= limit
	case ">":
		return v > limit
	}
	return false
}

// Evaluate computes a goal from a run.
func Evaluate(res *Results, g Goal) GoalResult {
	r := GoalResult{Goal: g}
	num, ok := sumMedians(res, g.Num)
	den := 1.0
	if ok && len(g.Den) > 0 {
		den, ok = sumMedians(res, g.Den)
	}
	if ok && den != 0 {
		r.Value, r.HasValue = num/den, true
		r.Met = compare(r.Value, g.Op, g.Limit)
	}
	if len(g.Floor) > 0 {
		if f, ok := sumMedians(res, g.Floor); ok {
			r.FloorValue, r.HasFlr = f, true
			r.FloorMisses = !compare(f, g.Op, g.Limit)
		}
	}
	return r
}

// num formats a value with about three significant digits.
func num(v float64) string {
	a := math.Abs(v)
	switch {
	case v == 0:
		return "0"
	case a >= 1000:
		return withCommas(fmt.Sprintf("%.0f", v))
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1 && v == math.Trunc(v):
		return fmt.Sprintf("%.0f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	case a >= 0.001:
		return fmt.Sprintf("%.3g", v)
	}
	return fmt.Sprintf("%.2g", v)
}

func withCommas(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func ratio(v float64) string {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return "—"
	}
	return num(v) + "×"
}

func withUnit(v float64, unit string) string {
	switch unit {
	case "×":
		return num(v) + "×"
	case "":
		return num(v)
	}
	return num(v) + " " + unit
}

// Render writes the whole report.
func Render(w io.Writer, res *Results, analysis map[string]string, in string) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("# netyard benchmark report\n\n")
	p("Issue 8: netyard against its peers, every figure measured side by side in one run on one (shared, noisy) machine, "+
		"so the ratios matter more than the absolute numbers. Written by `go run ./bench/report` from `%s`; do not edit by hand.\n\n", in)

	p("## Machine\n\n| | |\n|---|---|\n")
	row := func(k, v string) {
		if v == "" {
			v = "—"
		}
		p("| %s | %s |\n", k, v)
	}
	row("CPU", firstNonEmpty(res.ConfigValue("cpu-model"), res.ConfigValue("cpu")))
	row("cores", res.ConfigValue("cores"))
	row("memory", res.ConfigValue("memory"))
	row("kernel", res.ConfigValue("kernel"))
	row("OS / arch", strings.Trim(res.ConfigValue("goos")+" / "+res.ConfigValue("goarch"), " /"))
	row("Go", res.ConfigValue("go-version"))
	row("started", res.ConfigValue("date-start"))
	row("finished", res.ConfigValue("date-end"))
	row("load average (1, 5, 15 min) at start", res.ConfigValue("loadavg-start"))
	row("load average (1, 5, 15 min) at end", res.ConfigValue("loadavg-end"))
	p("\n")

	p("## Command\n\n```\nmake bench\n```\n\nwhich runs, each `go test` in a fresh process (so that one benchmark's heap does not inflate the next one's RSS):\n\n```\n")
	for _, c := range res.ConfigValues("command") {
		p("%s\n", c)
	}
	p("go run ./bench/report -in bench/last.txt -out bench/REPORT.md\n```\n\n")
	p("Each figure is the **median over the runs** (`-count`) with the spread as **min–max** over the runs and n the number of runs. " +
		"Benchmarks that interleave several clients per iteration report each client's p50 over the iterations of a run; the median of those is shown. " +
		"Ratios are median / median of the baseline or floor row of the same case; the raw output is `bench/last.txt` (benchstat reads it).\n\n")

	results := make([]GoalResult, 0, len(Goals()))
	for _, g := range Goals() {
		results = append(results, Evaluate(res, g))
	}
	p("## Goals\n\n| goal | figure | measured | floor | |\n|---|---|---|---|---|\n")
	for _, r := range results {
		meas, flr, verdict := "not measured", "—", "**not measured**"
		if r.HasValue {
			meas = withUnit(r.Value, r.Unit)
			verdict = "met"
			if !r.Met {
				verdict = "**not met**"
			}
		}
		if r.HasFlr {
			flr = withUnit(r.FloorValue, r.Unit)
		}
		p("| %s | %d | %s | %s | %s |\n", r.Text, r.Fig, meas, flr, verdict)
	}
	p("\n")

	for _, f := range Figures() {
		renderFigure(w, res, f)
	}

	p("## Goals in detail\n\n")
	for _, r := range results {
		switch {
		case !r.HasValue:
			p("### %s — not measured\n\n", r.Text)
			p("The run has no value for it (a benchmark failed, was skipped or not run; see below).\n\n")
		case r.Met:
			p("### %s — met\n\n", r.Text)
		default:
			p("### %s — not met\n\n", r.Text)
		}
		if r.HasValue {
			p("Measured %s (goal %s %s).", withUnit(r.Value, r.Unit), r.Op, withUnit(r.Limit, r.Unit))
			if r.Detail != "" {
				p(" Computed as: %s.", r.Detail)
			}
			if r.HasFlr {
				p(" The floor measures %s", withUnit(r.FloorValue, r.Unit))
				if r.FloorMisses {
					p(", which itself misses the goal on this machine in this run")
				}
				p(".")
			}
			p("\n\n")
		}
		key := r.ID
		if r.Met {
			key += "/met"
		}
		if text := analysis[key]; text != "" {
			p("%s\n\n", text)
		} else if r.HasValue && !r.Met {
			p("No analysis recorded for this goal in bench/report/analysis.md.\n\n")
		}
	}

	if len(res.Failures) > 0 || len(res.Skips) > 0 {
		p("## Failures and skips\n\n")
		for _, f := range res.Failures {
			p("- FAIL: `%s`\n", f)
		}
		for _, s := range res.Skips {
			p("- skipped: %s\n", s)
		}
		p("\n")
	}
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func renderFigure(w io.Writer, res *Results, f Figure) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("## Figure %d. %s\n\n%s\n\n", f.N, f.Title, f.About)
	p("| case | implementation | median | spread (min–max) | n | × baseline | × floor |\n|---|---|---|---|---|---|---|\n")
	missing := 0
	for _, g := range f.Groups {
		byLabel := map[string]Summary{}
		for _, r := range g.Rows {
			byLabel[r.Label] = summary(res, r.M)
		}
		for i, r := range g.Rows {
			c := ""
			if i == 0 {
				c = g.Case
			}
			s := byLabel[r.Label]
			if !s.OK {
				missing++
				p("| %s | %s | — | — | 0 | | |\n", c, r.Label)
				continue
			}
			med := withUnit(s.Median, r.Unit)
			spread := num(s.Min) + "–" + num(s.Max)
			if s.N == 1 {
				spread = "(one run)"
			}
			base, floor := rel(s, byLabel, r.Base, r.Label), rel(s, byLabel, r.Floor, r.Label)
			if r.Base == r.Label {
				base = "baseline"
			}
			if r.Floor == r.Label {
				floor = "floor"
			}
			p("| %s | %s | %s | %s | %d | %s | %s |\n", c, r.Label, med, spread, s.N, base, floor)
		}
	}
	if missing > 0 {
		p("\n— : not in this run (failed, skipped, or not run).\n")
	}
	p("\n")
}

func rel(s Summary, byLabel map[string]Summary, other, self string) string {
	if other == "" || other == self {
		return ""
	}
	o, ok := byLabel[other]
	if !ok || !o.OK || o.Median == 0 {
		return "—"
	}
	return ratio(s.Median / o.Median)
}
