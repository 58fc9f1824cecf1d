package main

import (
	"math"
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  string
	}{
		{in: "1GiB", want: 1 << 30},
		{in: " 4gib ", want: 4 << 30},
		{in: "512MiB", want: 512 << 20},
		{in: "3M", want: 3 << 20},
		{in: "100MB", want: 100e6},
		{in: "2GB", want: 2e9},
		{in: "64KiB", want: 64 << 10},
		{in: "4096", want: 4096},
		{in: "10B", want: 10},
		{in: "GiB", err: "want a whole number"},
		{in: "", err: "want a whole number"},
		{in: "1.5GiB", err: "unknown unit"},
		{in: "4TiB", err: "unknown unit"},
		{in: "0MiB", err: "more than zero"},
		{in: "99999999999GiB", err: "too large"},
		{in: "99999999999999999999", err: "out of range"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseSize(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("parseSize(%q) = %d, %v; want an error containing %q", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("parseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestParseSizes(t *testing.T) {
	got, err := parseSizes("1GiB, 4GiB,")
	if err != nil || len(got) != 2 || got[0] != 1<<30 || got[1] != 4<<30 {
		t.Fatalf("parseSizes = %v, %v", got, err)
	}
	if _, err := parseSizes(" , "); err == nil {
		t.Fatal("an empty list was accepted")
	}
	if _, err := parseSizes("1GiB,x"); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Fatalf("a bad item: %v; want an error naming it", err)
	}
}

func TestFormatSize(t *testing.T) {
	for in, want := range map[int64]string{1 << 30: "1 GiB", 4 << 30: "4 GiB", 1536 << 20: "1536 MiB", 2048: "2 KiB", 1000: "1000 B"} {
		if got := formatSize(in); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []float64
		want float64
	}{
		{"one", []float64{7}, 7},
		{"odd unsorted", []float64{3, 1, 2}, 2},
		{"even", []float64{4, 1, 3, 2}, 2.5},
		{"outlier", []float64{1, 1.1, 100}, 1.1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := append([]float64(nil), tc.in...)
			if got := median(tc.in); got != tc.want {
				t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
			}
			for i := range before {
				if before[i] != tc.in[i] {
					t.Fatalf("median reordered its input: %v", tc.in)
				}
			}
		})
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median(nil) is not NaN")
	}
}

func TestRenderTableAndVerdicts(t *testing.T) {
	const gib = 1 << 30
	rs := []result{
		{Size: gib, FileBytes: 1e9, Baseline: []float64{2, 1, 9}, Tuned: []float64{1, 1, 1}, LatencyBase: []float64{3, 3, 3},
			Ours: []float64{1.25, 1.25, 5}, OursPUT: []float64{1, 1, 1},
			Faults: []float64{1.5, 1.5, 1.5}, FaultsPUT: []float64{1.1, 1.1, 1.1}, RSSMiB: []float64{20, 22, 30}},
		{Size: 4 * gib, FileBytes: 4e9, Baseline: []float64{4, 4, 4}, Tuned: []float64{4, 4, 4}, LatencyBase: []float64{5, 5, 5},
			Ours: []float64{8, 8, 8}, OursPUT: []float64{5, 5, 5},
			Faults: []float64{12, 12, 12}, FaultsPUT: []float64{10, 10, 10}, RSSMiB: []float64{70, 70, 70}},
	}
	table := renderTable(rs)
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 9 {
		t.Fatalf("want two tables of header, rule and 2 rows, blank line between:\n%s", table)
	}
	for i, want := range map[int]string{
		// bare PUT median 2 s = 500 MB/s; tuned 1000 MB/s; ours wall 1.25 s = 800 MB/s, PUT phase 1 s = 1000 MB/s;
		// wall ratio 2/1.25 = 1.60; PUT phase 2/1 = 2.00; vs tuned 1/1 = 1.00.
		2: "| 1 GiB | 2.00 | 500 | 1000 | 1.25 | 800 | 1000 | 1.60 | 2.00 | 1.00 |",
		3: "| 4 GiB | 4.00 | 1000 | 1000 | 8.00 | 500 | 800 | 0.50 | 0.80 | 0.80 |",
		// RSS median 22, max 30; faults 1.5/1.25 = 1.20; PUT phases 1.1/1 = 1.10; latency-only 3/2 = 1.50;
		// faults PUT phase over latency-only 1.1/3 = 0.37.
		7: "| 1 GiB | 22.0 / 30.0 | 1.50 | 1.20 | 1.10 | 1.50 | 0.37 |",
		8: "| 4 GiB | 70.0 / 70.0 | 12.00 | 1.50 | 2.00 | 1.25 | 2.00 |",
	} {
		if lines[i] != want {
			t.Errorf("line %d:\n got %s\nwant %s", i, lines[i], want)
		}
	}
	for _, tbl := range [][]string{lines[0:4], lines[5:9]} {
		n := strings.Count(tbl[0], "|")
		for _, l := range tbl[1:] {
			if strings.Count(l, "|") != n {
				t.Errorf("column counts differ from the header's %d: %s", n, l)
			}
		}
	}

	v := strings.Join(verdicts(rs), "\n")
	for _, want := range []string{
		"1 GiB: throughput ratio 1.60 (target ≥ 0.8): met; PUT phase alone 2.00 of the bare PUT, 1.00 of the tuned one",
		"1 GiB: peak RSS 30.0 MiB (target < 64): met",
		"1 GiB: faults/clean 1.20 (target < 1.3): met; PUT phases 1.10",
		"4 GiB: throughput ratio 0.50 (target ≥ 0.8): MISSED",
		"4 GiB: peak RSS 70.0 MiB (target < 64): MISSED",
		"4 GiB: faults/clean 1.50 (target < 1.3): MISSED; PUT phases 2.00; the bare PUT with the latency alone takes 1.25 times its clean time, and asc-action with faults 2.00 times that",
		"peak RSS across sizes 30.0..70.0 MiB (target: flat): MISSED",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("verdicts lack %q:\n%s", want, v)
		}
	}
	second := rs[1]
	second.RSSMiB = []float64{33}
	flat := verdicts([]result{rs[0], second})
	if last := flat[len(flat)-1]; !strings.HasSuffix(last, ": met") {
		t.Errorf("30 and 33 MiB are not called flat: %s", last)
	}
}

func TestInside(t *testing.T) {
	for _, tc := range []struct {
		dir, path string
		want      bool
	}{
		{"/work/main", "/work/main", true},
		{"/work/main", "/work/main/tmp", true},
		{"/work/main", "/work/main2", false},
		{"/work/main", "/tmp", false},
		{"/work/main", "/work/..main", false},
	} {
		if got := inside(tc.dir, tc.path); got != tc.want {
			t.Errorf("inside(%q, %q) = %v, want %v", tc.dir, tc.path, got, tc.want)
		}
	}
}

func TestParseHWM(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status string
		want   int64
		ok     bool
	}{
		{"linux", "Name:\tasc-action\nVmPeak:\t 1250000 kB\nVmHWM:\t   23456 kB\nVmRSS:\t   20000 kB\n", 23456, true},
		{"zombie has no memory lines", "Name:\tasc-action\nState:\tZ (zombie)\n", 0, false},
		{"other unit", "VmHWM:\t 12 MB\n", 0, false},
		{"garbage", "VmHWM:\t x kB\n", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseHWM([]byte(tc.status))
			if got != tc.want || ok != tc.ok {
				t.Errorf("parseHWM = %d, %v; want %d, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
