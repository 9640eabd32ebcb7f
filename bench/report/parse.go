package main

import (
	"bufio"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Results is what a `go test -bench` output holds: the configuration lines
// ("key: value", in order, repeated keys kept), every benchmark result
// line's values by benchmark name (without the -GOMAXPROCS suffix) and
// unit, one value per line (one per -count), and the failures and skips.
type Results struct {
	Config   []KV
	Values   map[string]map[string][]float64 // name -> unit -> values
	Order    []string                        // benchmark names in first-seen order
	Failures []string
	Skips    []string
}

// KV is one configuration line.
type KV struct{ Key, Value string }

var (
	configLine = regexp.MustCompile(`^([a-z][^\s:]*): (.*)$`)
	procSuffix = regexp.MustCompile(`-\d+$`)
)

// Parse reads benchmark output in the Go benchmark format (what benchstat
// reads): "BenchmarkName-N  iterations  value unit  value unit ...". Custom
// units from b.ReportMetric are kept as they are.
func Parse(r io.Reader) (*Results, error) {
	res := &Results{Values: map[string]map[string][]float64{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	prevSkip := false
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \r")
		switch {
		case strings.HasPrefix(line, "Benchmark"):
			prevSkip = false
			res.addResult(line)
		case strings.HasPrefix(line, "--- FAIL"), line == "FAIL", strings.HasPrefix(line, "FAIL\t"),
			strings.HasPrefix(line, "panic:"), strings.HasPrefix(line, "exit status"):
			res.Failures = append(res.Failures, strings.TrimSpace(line))
		case strings.HasPrefix(line, "--- SKIP"):
			res.Skips = append(res.Skips, strings.TrimSpace(strings.TrimPrefix(line, "--- SKIP:")))
			prevSkip = true
			continue
		case prevSkip && strings.HasPrefix(line, "    "):
			res.Skips[len(res.Skips)-1] += " — " + strings.TrimSpace(line)
		default:
			if m := configLine.FindStringSubmatch(line); m != nil {
				res.Config = append(res.Config, KV{m[1], strings.TrimSpace(m[2])})
			}
		}
		prevSkip = false
	}
	return res, sc.Err()
}

// addResult parses one result line; a line that is not one (a benchmark's
// own output starting with "Benchmark…") is ignored.
func (res *Results) addResult(line string) {
	f := strings.Fields(line)
	if len(f) < 4 || len(f)%2 != 0 {
		return
	}
	if _, err := strconv.Atoi(f[1]); err != nil {
		return
	}
	name := procSuffix.ReplaceAllString(strings.TrimPrefix(f[0], "Benchmark"), "")
	vals := map[string]float64{}
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return
		}
		vals[f[i+1]] = v
	}
	if res.Values[name] == nil {
		res.Values[name] = map[string][]float64{}
		res.Order = append(res.Order, name)
	}
	for u, v := range vals {
		res.Values[name][u] = append(res.Values[name][u], v)
	}
}

// Get returns the values of one benchmark's unit.
func (res *Results) Get(name, unit string) []float64 { return res.Values[name][unit] }

// ConfigValues returns every value of a configuration key, in order.
func (res *Results) ConfigValues(key string) []string {
	var out []string
	for _, kv := range res.Config {
		if kv.Key == key {
			out = append(out, kv.Value)
		}
	}
	return out
}

// ConfigValue returns the first value of a key, or "".
func (res *Results) ConfigValue(key string) string {
	if v := res.ConfigValues(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

// Summary is the aggregate of one metric over the runs (-count).
type Summary struct {
	N                int
	Median, Min, Max float64
	Q1, Q3           float64
	OK               bool
	Values           []float64
}

// Summarize computes median, min, max and the quartiles of vs.
func Summarize(vs []float64) Summary {
	if len(vs) == 0 {
		return Summary{}
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	return Summary{N: len(s), Median: quantile(s, 0.5), Min: s[0], Max: s[len(s)-1],
		Q1: quantile(s, 0.25), Q3: quantile(s, 0.75), OK: true, Values: s}
}

// quantile interpolates linearly between the order statistics of sorted s.
func quantile(s []float64, q float64) float64 {
	if len(s) == 1 {
		return s[0]
	}
	pos := q * float64(len(s)-1)
	lo := int(pos)
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	frac := pos - float64(lo)
	return s[lo] + frac*(s[lo+1]-s[lo])
}
