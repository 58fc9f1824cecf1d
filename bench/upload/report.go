package main

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Targets from issue #4.
const (
	targetRatio      = 0.8  // ours/baseline throughput, at least
	targetRSSMiB     = 64.0 // peak resident memory, under
	targetFaultRatio = 1.3  // faults run / clean run wall time, under
)

var units = map[string]int64{
	"":    1,
	"b":   1,
	"k":   1 << 10,
	"kib": 1 << 10,
	"kb":  1e3,
	"m":   1 << 20,
	"mib": 1 << 20,
	"mb":  1e6,
	"g":   1 << 30,
	"gib": 1 << 30,
	"gb":  1e9,
}

// parseSize reads a size such as 1GiB, 512MiB, 100MB, 1g or 4096 (bytes).
// Binary units (KiB, MiB, GiB and the bare K, M, G) are powers of 1024;
// KB, MB and GB are powers of 1000.
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsDigit(r) })
	if i < 0 {
		i = len(s)
	}
	if i == 0 {
		return 0, fmt.Errorf("size %q: want a whole number and a unit such as 512MiB or 4GiB", s)
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q: %v", s, err)
	}
	mult, ok := units[strings.ToLower(strings.TrimSpace(s[i:]))]
	if !ok {
		return 0, fmt.Errorf("size %q: unknown unit %q (use B, KiB, MiB, GiB, KB, MB or GB)", s, s[i:])
	}
	if n <= 0 {
		return 0, fmt.Errorf("size %q: must be more than zero", s)
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("size %q: too large", s)
	}
	return n * mult, nil
}

// parseSizes reads a comma-separated list of sizes.
func parseSizes(list string) ([]int64, error) {
	var out []int64
	for _, f := range strings.Split(list, ",") {
		if strings.TrimSpace(f) == "" {
			continue
		}
		n, err := parseSize(f)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, errors.New("-sizes is empty: give sizes such as 1GiB,4GiB")
	}
	return out, nil
}

// formatSize prints a size in the largest binary unit that divides it, else
// in bytes.
func formatSize(n int64) string {
	for _, u := range []struct {
		name string
		v    int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.v && n%u.v == 0 {
			return fmt.Sprintf("%d %s", n/u.v, u.name)
		}
	}
	return fmt.Sprintf("%d B", n)
}

// median of xs (the mean of the two middle values for an even count); NaN
// for none. xs is not modified.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// result holds every run's figures for one size. PUT phases are timed by
// the emulator: from the first part request in to the last part answer out.
type result struct {
	Size      int64     // nominal size asked for (-sizes)
	FileBytes int64     // bytes of the generated IPA
	Baseline  []float64 // PUT phase of the bare parallel PUT (net/http defaults)
	Tuned     []float64 // the same with 256 KiB connection write buffers
	// LatencyBase is the bare PUT's PUT phase with the faults' latency only.
	LatencyBase []float64
	Ours        []float64 // wall seconds of `asc-action upload`, clean
	OursPUT     []float64 // its PUT phase
	Faults      []float64 // wall seconds of `asc-action upload`, faults injected
	FaultsPUT   []float64 // its PUT phase
	RSSMiB      []float64 // peak RSS of every asc-action run (clean and faults)
}

// mbps is throughput in MB/s (10^6 bytes per second).
func mbps(bytes int64, seconds float64) float64 {
	if seconds <= 0 {
		return math.NaN()
	}
	return float64(bytes) / 1e6 / seconds
}

// ratio is the throughput of the numerator's median over the denominator's:
// the inverse ratio of their median times.
func ratio(num, den []float64) float64 { return median(den) / median(num) }

func (r result) ratio() float64         { return ratio(r.Ours, r.Baseline) }
func (r result) putRatio() float64      { return ratio(r.OursPUT, r.Baseline) }
func (r result) tunedRatio() float64    { return ratio(r.OursPUT, r.Tuned) }
func (r result) faultRatio() float64    { return median(r.Faults) / median(r.Ours) }
func (r result) faultPUTRatio() float64 { return median(r.FaultsPUT) / median(r.OursPUT) }
func (r result) latencyRatio() float64  { return median(r.LatencyBase) / median(r.Baseline) }

// retryCost compares the PUT phase with faults to the bare PUT's with the
// same latency and no failures: what the failures and retries add.
func (r result) retryCost() float64 { return median(r.FaultsPUT) / median(r.LatencyBase) }

func (r result) rssMax() float64 {
	if len(r.RSSMiB) == 0 {
		return math.NaN()
	}
	return slices.Max(r.RSSMiB)
}

// renderTable prints the results as two Markdown tables (throughput; memory
// and faults), medians of the runs.
func renderTable(rs []result) string {
	var b strings.Builder
	b.WriteString("| Size | Bare PUT s | Bare PUT MB/s | Tuned bare PUT MB/s | asc-action wall s | Wall MB/s | asc-action PUT phase MB/s | Wall / bare PUT (≥ 0.8) | PUT phase / bare PUT | PUT phase / tuned |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rs {
		fmt.Fprintf(&b, "| %s | %.2f | %.0f | %.0f | %.2f | %.0f | %.0f | %.2f | %.2f | %.2f |\n",
			formatSize(r.Size),
			median(r.Baseline), mbps(r.FileBytes, median(r.Baseline)), mbps(r.FileBytes, median(r.Tuned)),
			median(r.Ours), mbps(r.FileBytes, median(r.Ours)), mbps(r.FileBytes, median(r.OursPUT)),
			r.ratio(), r.putRatio(), r.tunedRatio())
	}
	b.WriteString("\n| Size | Peak RSS MiB, median / max (< 64) | Faults wall s | Faults wall / clean wall (< 1.3) | Faults PUT phase / clean PUT phase | Bare PUT, latency only / clean | Faults PUT phase / bare PUT, latency only |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rs {
		fmt.Fprintf(&b, "| %s | %.1f / %.1f | %.2f | %.2f | %.2f | %.2f | %.2f |\n",
			formatSize(r.Size), median(r.RSSMiB), r.rssMax(),
			median(r.Faults), r.faultRatio(), r.faultPUTRatio(), r.latencyRatio(), r.retryCost())
	}
	return b.String()
}

// verdicts says, target by target, whether the results meet it, with the
// figures that decide.
func verdicts(rs []result) []string {
	var out []string
	mark := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	for _, r := range rs {
		size := formatSize(r.Size)
		out = append(out,
			fmt.Sprintf("%s: throughput ratio %.2f (target ≥ %.1f): %s; PUT phase alone %.2f of the bare PUT, %.2f of the tuned one", size, r.ratio(), targetRatio, mark(r.ratio() >= targetRatio), r.putRatio(), r.tunedRatio()),
			fmt.Sprintf("%s: peak RSS %.1f MiB (target < %.0f): %s", size, r.rssMax(), targetRSSMiB, mark(r.rssMax() < targetRSSMiB)),
			fmt.Sprintf("%s: faults/clean %.2f (target < %.1f): %s; PUT phases %.2f; the bare PUT with the latency alone takes %.2f times its clean time, and asc-action with faults %.2f times that", size, r.faultRatio(), targetFaultRatio, mark(r.faultRatio() < targetFaultRatio), r.faultPUTRatio(), r.latencyRatio(), r.retryCost()))
	}
	if len(rs) > 1 {
		lo, hi := rs[0].rssMax(), rs[0].rssMax()
		for _, r := range rs[1:] {
			lo, hi = min(lo, r.rssMax()), max(hi, r.rssMax())
		}
		// "Flat": the largest size's peak within 25% (and 8 MiB) of the smallest's.
		flat := hi-lo <= max(0.25*lo, 8)
		out = append(out, fmt.Sprintf("peak RSS across sizes %.1f..%.1f MiB (target: flat): %s", lo, hi, mark(flat)))
	}
	return out
}
