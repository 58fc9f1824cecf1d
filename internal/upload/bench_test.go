package upload

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/asc-action/asc-action/internal/asc"
	"github.com/asc-action/asc-action/internal/emulator"
	"github.com/asc-action/asc-action/internal/upload/ipa"
	"github.com/asc-action/asc-action/internal/upload/transfer"
	"github.com/asc-action/asc-action/internal/upload/uploadtest"
)

// benchSizes are the IPA sizes benchmarked, in MiB: UPLOAD_BENCH_MIB=1024,4096
// for the figures in BENCHMARKS.md; 64 by default so `-bench .` stays quick.
func benchSizes(b *testing.B) []int64 {
	spec := os.Getenv("UPLOAD_BENCH_MIB")
	if spec == "" {
		spec = "64"
	}
	var out []int64
	for _, f := range strings.Split(spec, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
		if err != nil || n <= 0 {
			b.Fatalf("UPLOAD_BENCH_MIB=%q: want comma-separated sizes in MiB", spec)
		}
		out = append(out, n<<20)
	}
	return out
}

// benchIPA writes an IPA of about size bytes once per size.
func benchIPA(b *testing.B, size int64) string {
	p := filepath.Join(benchDir(b), "Bench.ipa")
	if _, _, err := ipa.WriteFile(p, ipa.Facts{BundleID: emulator.DemoBundleID, BuildVersion: "2", ShortVersion: "1.0", Platform: ipa.IOS}, ipa.WriteOptions{PayloadSize: size, Binary: true, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	return p
}

// benchDir is where the IPA and the emulator's store go: UPLOAD_BENCH_DIR
// (a tmpfs such as /dev/shm takes the disk out of the measurement) or a
// temporary directory.
func benchDir(b *testing.B) string {
	base := os.Getenv("UPLOAD_BENCH_DIR")
	if base == "" {
		return b.TempDir()
	}
	d, err := os.MkdirTemp(base, "upload-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// peakRSS resets the kernel's resident-set high-water mark (Linux) and
// returns a function reading it in MiB, or nil where that is not possible.
func peakRSS() func() float64 {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return nil
	}
	return func() float64 {
		data, err := os.ReadFile("/proc/self/status")
		if err != nil {
			return 0
		}
		for _, l := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(l, "VmHWM:") {
				kb, _ := strconv.ParseFloat(strings.Fields(l)[1], 64)
				return kb / 1024
			}
		}
		return 0
	}
}

// BenchmarkUpload uploads generated IPAs to the emulator on loopback with
// Run (wait: none), and, as the baseline, with a bare parallel PUT of the
// same parts to the same server. Variants add 20 ms latency per request and
// 5% part failures. Reported: MB/s (from SetBytes) and peak-RSS-MiB of the
// whole process, emulator included.
//
//	UPLOAD_BENCH_MIB=1024,4096 UPLOAD_BENCH_DIR=/dev/shm go test -run '^$' -bench BenchmarkUpload -benchtime 1x -count 3 ./internal/upload
func BenchmarkUpload(b *testing.B) {
	for _, size := range benchSizes(b) {
		path := benchIPA(b, size)
		st, _ := os.Stat(path)
		for _, v := range []struct {
			name   string
			faults emulator.Faults
			bare   bool
		}{
			{"bare-put", emulator.Faults{}, true},
			{"run", emulator.Faults{}, false},
			{"bare-put+latency20ms", emulator.Faults{Latency: 20 * time.Millisecond}, true},
			{"run+latency20ms", emulator.Faults{Latency: 20 * time.Millisecond}, false},
			{"run+latency20ms+5%fail", emulator.Faults{Latency: 20 * time.Millisecond, Seed: 7,
				Rules: []emulator.FaultRule{{Op: emulator.OpUploadPart, Rate: 0.05, Kind: emulator.Fault500}}}, false},
		} {
			b.Run(fmt.Sprintf("size=%dMiB/%s", size>>20, v.name), func(b *testing.B) {
				b.SetBytes(st.Size())
				b.ReportAllocs()
				var rss float64
				n := 0
				for b.Loop() {
					b.StopTimer()
					e := newBenchEnv(b, v.faults)
					n++
					read := peakRSS()
					b.StartTimer()
					if v.bare {
						barePut(b, e, path, st.Size(), n)
					} else {
						cfg := Config{Path: path, Wait: WaitNone, Override: ipa.Facts{BuildVersion: strconv.Itoa(100 + n)}}
						res, err := Run(context.Background(), e.client, cfg, nil)
						if err != nil {
							b.Fatal(err)
						}
						if res.Transfer.Retries > 0 {
							b.ReportMetric(float64(res.Transfer.Retries), "retries")
						}
					}
					b.StopTimer()
					if read != nil {
						rss = max(rss, read())
					}
					e.emu.Close()
					b.StartTimer()
				}
				if rss > 0 {
					b.ReportMetric(rss, "peak-RSS-MiB")
				}
			})
		}
	}
}

// newBenchEnv is an emulator on the real clock, its store in benchDir, with
// a client.
func newBenchEnv(b *testing.B, faults emulator.Faults) *env {
	return newEnvClock(b, emulator.Config{Faults: faults, SkipArchiveCheck: true, StoreDir: benchDir(b)}, nil)
}

// barePut reserves a file through the API (untimed work is small) and PUTs
// every part with a plain parallel loop (uploadtest.BarePUT): no retries, no
// events.
func barePut(b *testing.B, e *env, path string, size int64, n int) {
	ctx := context.Background()
	up, _, err := e.client.CreateBuildUpload(ctx, "1000000001", "1.0", strconv.Itoa(100+n), "IOS")
	if err != nil {
		b.Fatal(err)
	}
	file, _, err := e.client.CreateBuildUploadFile(ctx, up.ID, "Bench.ipa", size, asc.UTIIPA, asc.AssetTypeAsset)
	if err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	parallelism := transfer.DefaultParallelism
	if err := uploadtest.BarePUT(uploadtest.BareClient(parallelism, 0), f, parallelism, convertOps(file.Attributes.UploadOperations)); err != nil {
		b.Error(err)
	}
}
