// Command upload benchmarks `asc-action upload` against the App Store Connect
// emulator on loopback, next to a bare parallel HTTP PUT of the same bytes to
// the same server, and prints the tables kept in BENCHMARKS.md.
//
//	go run ./bench/upload -sizes 1GiB,4GiB -runs 5 [-trace] [-parallelism 8] [-faults SPEC] [-keep]
//
// For each size it generates a valid IPA in a temporary directory (never in
// the repository), then, -runs times each, in turn:
//
//   - bare PUT (the baseline): the build upload and its file are created
//     through the API with plain net/http and a token minted with golang-jwt;
//     then a child process (this program again) PUTs every part with the
//     same parallelism as asc-action, streamed with io.NewSectionReader, no
//     retries;
//   - tuned bare PUT: the same with 256 KiB connection write buffers (what
//     asc-action's transfer client had until these runs showed they do not
//     help) instead of net/http's 4 KiB;
//   - bare PUT with latency: the same with only the latency of -faults (it
//     has no retries, so it cannot take the failures), to show what the
//     latency alone costs;
//   - asc-action: the built binary `asc-action upload FILE --wait none --json
//     --quiet` as a child process: its wall time and its peak resident memory
//     (VmHWM polled from /proc; rusage maxrss is only an upper bound, see
//     rss.go);
//   - asc-action with faults: the same with -faults injected by the emulator
//     (default: 20 ms latency on every answer and 5% of part PUTs failing
//     with 503).
//
// The PUT phase of every run is timed in the emulator's handler (first part
// request in to last part answer out), the same way for every client. Every
// run gets a fresh emulator (its own store directory, removed after the run)
// and must leave it holding a committed file whose SHA-256 equals the
// file's. The API key is generated at start and only kept in memory; the
// child process receives it in its environment. Medians are printed, with
// the targets of issue #4 marked met or MISSED.
package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/asc-action/asc-action/internal/emulator"
	"github.com/asc-action/asc-action/internal/shipcheck"
	"github.com/asc-action/asc-action/internal/upload/ipa"
	"github.com/asc-action/asc-action/internal/upload/transfer"
)

func main() {
	if os.Getenv(putChildEnv) == "1" {
		if err := putMain(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench/upload baseline child:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/upload:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	sizes       []int64
	runs        int
	parallelism int
	faults      string
	tmp         string
	keep        bool
	bin         string
	trace       bool
}

func parseFlags() (options, error) {
	var o options
	sizes := flag.String("sizes", "1GiB,4GiB", "comma-separated IPA sizes (KiB, MiB, GiB; KB, MB, GB)")
	flag.IntVar(&o.runs, "runs", 3, "runs of each measurement; the median is reported")
	flag.IntVar(&o.parallelism, "parallelism", transfer.DefaultParallelism, "parts in flight, for asc-action and the baseline alike")
	flag.StringVar(&o.faults, "faults", "latency:20ms,parts:0.05:503", "faults of the third measurement, in emulator.ParseFaults form (a seed is added per run)")
	flag.StringVar(&o.tmp, "tmp", os.TempDir(), "directory in which the work directory (binary, IPAs, emulator store) is created; must be outside the repository")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory (the IPAs and the binary) and print its path")
	flag.BoolVar(&o.trace, "trace", false, "after each run with faults, log the requests of every part that was retried (timings and statuses)")
	flag.StringVar(&o.bin, "bin", "", "an asc-action binary to measure instead of building one from the module")
	flag.Parse()
	if flag.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q: every setting is a flag (see -h)", flag.Args())
	}
	var err error
	if o.sizes, err = parseSizes(*sizes); err != nil {
		return o, err
	}
	if o.runs < 1 {
		return o, fmt.Errorf("-runs %d: want 1 or more", o.runs)
	}
	if o.parallelism < 1 || o.parallelism > 64 {
		return o, fmt.Errorf("-parallelism %d: want 1 to 64", o.parallelism)
	}
	if _, err := emulator.ParseFaults(o.faults); err != nil {
		return o, fmt.Errorf("-faults %q: %w", o.faults, err)
	}
	return o, nil
}

func run() error {
	o, err := parseFlags()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	root, err := shipcheck.ModuleRoot()
	if err != nil {
		return fmt.Errorf("%w: run from the repository, e.g. `go run ./bench/upload`", err)
	}
	tmp, err := filepath.Abs(o.tmp)
	if err != nil {
		return err
	}
	if inside(root, tmp) {
		return fmt.Errorf("-tmp %s is inside the repository %s: generated files must not land in it; choose another directory", tmp, root)
	}
	if err := checkDisk(tmp, o.sizes, o.keep); err != nil {
		return err
	}
	work, err := os.MkdirTemp(tmp, "asc-bench-upload-")
	if err != nil {
		return fmt.Errorf("work directory: %w", err)
	}
	if o.keep {
		defer logf("kept %s", work)
	} else {
		defer os.RemoveAll(work)
	}

	bin := o.bin
	if bin == "" {
		bin = filepath.Join(work, "asc-action")
		logf("building asc-action from %s with the release flags", root)
		if err := shipcheck.GoBuild(ctx, root, bin, "bench"); err != nil {
			return fmt.Errorf("asc-action in %s: %w", root, err)
		}
	}

	k, err := newKey()
	if err != nil {
		return err
	}
	faults, _ := emulator.ParseFaults(o.faults)
	b := &bench{o: o, work: work, bin: bin, key: k, faults: faults}

	var results []result
	for _, size := range o.sizes {
		r, err := b.size(ctx, size)
		if err != nil {
			return fmt.Errorf("%s: %w", formatSize(size), err)
		}
		results = append(results, r)
	}
	fmt.Printf("\nMedians of %d runs; parallelism %d; faults %q; %s; %s.\n\n", o.runs, o.parallelism, o.faults, hostLine(), revision(root, o.bin))
	fmt.Print(renderTable(results))
	fmt.Println()
	for _, v := range verdicts(results) {
		fmt.Println("- " + v)
	}
	return nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().UTC().Format("15:04:05")}, args...)...)
}

// inside reports whether path is dir or below it.
func inside(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// checkDisk refuses to start without room for the largest IPA and the
// emulator's copy of it (with -keep, every IPA), plus 1 GiB to spare.
func checkDisk(dir string, sizes []int64, keep bool) error {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return fmt.Errorf("free space of %s: %w", dir, err)
	}
	free := int64(st.Bavail) * int64(st.Bsize)
	var largest, sum int64
	for _, s := range sizes {
		largest, sum = max(largest, s), sum+s
	}
	need := 2*largest + 1<<30
	if keep {
		need = sum + largest + 1<<30
	}
	if free < need {
		return fmt.Errorf("%s has %.1f GiB free; this run needs %.1f GiB (each IPA plus the emulator's copy, and 1 GiB to spare): free space or pass -tmp", dir, float64(free)/(1<<30), float64(need)/(1<<30))
	}
	return nil
}

func hostLine() string {
	load, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(load))
	l := ""
	if len(f) >= 3 {
		l = ", load average " + strings.Join(f[:3], " ")
	}
	return fmt.Sprintf("%d CPUs%s", runtime.NumCPU(), l)
}

// revision names the code measured: the commit, and whether the working
// tree (which `go build` compiles) differs from it.
func revision(root, bin string) string {
	if bin != "" {
		return "binary " + bin
	}
	head, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "commit unknown (not a git checkout)"
	}
	rev := "commit " + strings.TrimSpace(string(head))
	status, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output()
	if err == nil && len(bytes.TrimSpace(status)) > 0 {
		rev += fmt.Sprintf(" plus uncommitted changes in %d tracked files", len(strings.Split(strings.TrimSpace(string(status)), "\n")))
	}
	return rev
}

// key is a generated team API key: the private key stays in this process's
// memory and in the child's environment.
type key struct {
	id, issuer string
	priv       *ecdsa.PrivateKey
	pem        string
}

func newKey() (*key, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	return &key{
		id:     "BENCH" + strings.ToUpper(rand.Text()[:5]),
		issuer: uuid.NewString(),
		priv:   priv,
		pem:    string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
	}, nil
}

// bench holds what every measurement shares.
type bench struct {
	o      options
	work   string
	bin    string
	key    *key
	faults emulator.Faults
	build  int // last build number used
}

// size generates one IPA and measures it o.runs times each way, one round of
// every measurement after the other, so that a burst of load on the machine
// hits them alike.
func (b *bench) size(ctx context.Context, size int64) (result, error) {
	r := result{Size: size}
	path := filepath.Join(b.work, fmt.Sprintf("Bench-%d.ipa", size))
	logf("generating %s IPA", formatSize(size))
	start := time.Now()
	sum, n, err := generate(path, size)
	if err != nil {
		return r, err
	}
	r.FileBytes = n
	logf("generated %s (%d bytes) in %.1fs", filepath.Base(path), n, time.Since(start).Seconds())
	if !b.o.keep {
		defer os.Remove(path)
	}
	latency := emulator.Faults{Latency: b.faults.Latency}
	for i := 1; i <= b.o.runs; i++ {
		faults := b.faults
		faults.Seed = uint64(i)
		for _, m := range []struct {
			name string
			run  func() (sample, error)
			add  func(sample)
		}{
			{"bare PUT", func() (sample, error) { return b.baseline(ctx, path, n, sum, 0, emulator.Faults{}) },
				func(s sample) { r.Baseline = append(r.Baseline, s.PUT) }},
			{fmt.Sprintf("bare PUT, %d KiB write buffers", tunedWriteBuffer>>10), func() (sample, error) { return b.baseline(ctx, path, n, sum, tunedWriteBuffer, emulator.Faults{}) },
				func(s sample) { r.Tuned = append(r.Tuned, s.PUT) }},
			{fmt.Sprintf("bare PUT, %v latency", latency.Latency), func() (sample, error) { return b.baseline(ctx, path, n, sum, 0, latency) },
				func(s sample) { r.LatencyBase = append(r.LatencyBase, s.PUT) }},
			{"asc-action", func() (sample, error) { return b.ours(ctx, path, n, sum, emulator.Faults{}) },
				func(s sample) {
					r.Ours, r.OursPUT, r.RSSMiB = append(r.Ours, s.Wall), append(r.OursPUT, s.PUT), append(r.RSSMiB, s.RSS)
				}},
			{"asc-action with faults", func() (sample, error) { return b.ours(ctx, path, n, sum, faults) },
				func(s sample) {
					r.Faults, r.FaultsPUT, r.RSSMiB = append(r.Faults, s.Wall), append(r.FaultsPUT, s.PUT), append(r.RSSMiB, s.RSS)
				}},
		} {
			if err := ctx.Err(); err != nil {
				return r, err
			}
			s, err := m.run()
			if err != nil {
				return r, fmt.Errorf("%s, run %d: %w", m.name, i, err)
			}
			m.add(s)
			wall := ""
			if s.Wall > 0 {
				wall = fmt.Sprintf("wall %.2fs (%.0f MB/s), ", s.Wall, mbps(n, s.Wall))
			}
			logf("%s run %d %s: %sPUT phase %.2fs (%.0f MB/s), %d part requests for %d parts, %.1f in flight on average, peak RSS %.1f MiB",
				formatSize(size), i, m.name, wall, s.PUT, mbps(n, s.PUT), s.PartRequests, s.Parts, s.InFlight, s.RSS)
		}
	}
	return r, nil
}

// sample is one measurement.
type sample struct {
	Wall         float64 // seconds the asc-action process took (0 for the baseline)
	PUT          float64 // seconds from the first part request to the last part answer, seen by the emulator
	RSS          float64 // the client process's peak RSS, MiB (VmHWM)
	PartRequests int     // part requests the emulator answered (retries included)
	Parts        int     // parts of the file
	// InFlight is the mean number of part requests being served during the
	// PUT phase (the sum of their durations over the phase's): how well the
	// client keeps its connections busy.
	InFlight float64
}

// generate writes a valid IPA of about size bytes (the payload is size
// bytes) and returns its SHA-256 and length.
func generate(path string, size int64) (string, int64, error) {
	facts := ipa.Facts{BundleID: emulator.DemoBundleID, BuildVersion: "2", ShortVersion: "1.0", Platform: ipa.IOS}
	return ipa.WriteFile(path, facts, ipa.WriteOptions{PayloadSize: size, Binary: true, Seed: 1, AppName: "Bench"})
}

// emulatorRun is a fresh emulator on loopback with its own store directory,
// served through a handler that times the part requests.
type emulatorRun struct {
	srv   *emulator.Server
	http  *http.Server
	url   string
	store string

	mu          sync.Mutex
	first, last time.Time // first part request in, last part answer out
	parts       int
	trace       []partEvent
}

// partEvent is one part request as the emulator saw it.
type partEvent struct {
	path       string
	start, end time.Time
	status     int
}

// traceWriter notes the status of an answer.
type traceWriter struct {
	http.ResponseWriter
	status int
}

func (w *traceWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *traceWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRetries logs, for every part requested more than once, when each of its
// requests started and ended and with what status (ms from the first part
// request), and the PUT phase's end.
func (e *emulatorRun) logRetries() {
	e.mu.Lock()
	defer e.mu.Unlock()
	byPart := map[string][]partEvent{}
	var order []string
	for _, ev := range e.trace {
		if _, ok := byPart[ev.path]; !ok {
			order = append(order, ev.path)
		}
		byPart[ev.path] = append(byPart[ev.path], ev)
	}
	ms := func(t time.Time) int64 { return t.Sub(e.first).Milliseconds() }
	for i, p := range order {
		evs := byPart[p]
		if len(evs) < 2 {
			continue
		}
		var b strings.Builder
		for _, ev := range evs {
			fmt.Fprintf(&b, " [%d..%d ms %d]", ms(ev.start), ms(ev.end), ev.status)
		}
		logf("  trace: part #%d (in order of first request):%s", i+1, b.String())
	}
	logf("  trace: PUT phase ends at %d ms", ms(e.last))
	// Mean part requests in flight per 250 ms window: idle connections show
	// as values under the parallelism.
	const window = 250 * time.Millisecond
	n := int(e.last.Sub(e.first)/window) + 1
	busy := make([]time.Duration, n)
	for _, ev := range e.trace {
		for w := int(ev.start.Sub(e.first) / window); w < n; w++ {
			ws := e.first.Add(time.Duration(w) * window)
			lo, hi := maxTime(ev.start, ws), minTime(ev.end, ws.Add(window))
			if !hi.After(lo) {
				break
			}
			busy[w] += hi.Sub(lo)
		}
	}
	var b strings.Builder
	for _, d := range busy {
		fmt.Fprintf(&b, " %.1f", d.Seconds()/window.Seconds())
	}
	logf("  trace: in flight per %v:%s", window, b.String())
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func (b *bench) startEmulator(f emulator.Faults) (*emulatorRun, error) {
	store, err := os.MkdirTemp(b.work, "store-")
	if err != nil {
		return nil, err
	}
	e := &emulatorRun{store: store}
	e.srv = emulator.New(emulator.Config{
		Keys:     []emulator.Key{{ID: b.key.id, IssuerID: b.key.issuer, Public: &b.key.priv.PublicKey, Role: emulator.RoleAppManager}},
		Data:     emulator.DefaultData(time.Now()),
		Faults:   f,
		StoreDir: store,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(store)
		return nil, fmt.Errorf("starting the emulator on 127.0.0.1: %w", err)
	}
	e.url = "http://" + ln.Addr().String()
	e.http = &http.Server{Handler: http.HandlerFunc(e.serve), ReadHeaderTimeout: 30 * time.Second}
	go e.http.Serve(ln)
	return e, nil
}

// partPrefix is where the emulator's part URLs live (see docs/emulator.md).
const partPrefix = "/_emulator/parts/"

func (e *emulatorRun) serve(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, partPrefix) {
		e.srv.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	tw := &traceWriter{ResponseWriter: w, status: http.StatusOK}
	e.srv.ServeHTTP(tw, r)
	_ = http.NewResponseController(tw).Flush()
	end := time.Now()
	e.mu.Lock()
	e.trace = append(e.trace, partEvent{path: r.URL.Path, start: start, end: end, status: tw.status})
	if e.first.IsZero() || start.Before(e.first) {
		e.first = start
	}
	if end.After(e.last) {
		e.last = end
	}
	e.parts++
	e.mu.Unlock()
}

// putPhase is the seconds from the first part request to the last answer.
func (e *emulatorRun) putPhase() float64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.last.Sub(e.first).Seconds()
}

func (e *emulatorRun) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.http.Shutdown(ctx); err != nil {
		e.http.Close()
	}
	e.srv.Close()
	os.RemoveAll(e.store)
}

// check verifies that the emulator holds exactly one committed, complete file
// whose reassembled bytes have the digest want.
func (e *emulatorRun) check(size int64, want string) error {
	files, err := e.srv.UploadedFiles()
	if err != nil {
		return fmt.Errorf("reading the emulator's copy: %w", err)
	}
	if len(files) != 1 {
		return fmt.Errorf("the emulator holds %d build upload files, want 1", len(files))
	}
	f := files[0]
	switch {
	case !f.Committed:
		return fmt.Errorf("file %s was not committed", f.FileID)
	case f.Incomplete || f.Received != size:
		return fmt.Errorf("file %s: %d of %d bytes received", f.FileID, f.Received, size)
	case f.SHA256 != want:
		return fmt.Errorf("file %s: the emulator's SHA-256 %s differs from the file's %s", f.FileID, f.SHA256, want)
	}
	return nil
}

// ours runs the binary and measures its wall time, PUT phase and peak RSS.
func (b *bench) ours(ctx context.Context, path string, size int64, sum string, f emulator.Faults) (sample, error) {
	var s sample
	e, err := b.startEmulator(f)
	if err != nil {
		return s, err
	}
	defer e.close()
	b.build++
	cmd := exec.CommandContext(ctx, b.bin, "upload", path, "--wait", "none", "--json", "--quiet",
		"--build-version", strconv.Itoa(100+b.build), "--parallelism", strconv.Itoa(b.o.parallelism))
	cmd.Env = append(cleanEnv(), "ASC_PRIVATE_KEY="+b.key.pem, "ASC_KEY_ID="+b.key.id,
		"ASC_ISSUER_ID="+b.key.issuer, "ASC_API_URL="+e.url)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	m, err := runMeasured(cmd)
	if err != nil {
		return s, fmt.Errorf("%s upload: %w; stderr: %s", filepath.Base(b.bin), err, strings.TrimSpace(stderr.String()))
	}
	logf("  asc-action: peak RSS %.1f MiB (VmHWM); rusage maxrss %.1f MiB (an upper bound, see rss.go)", m.HWMMiB, m.MaxRSSMiB)
	var out struct {
		BuildUploadID string          `json:"build_upload_id"`
		Bytes         json.RawMessage `json:"bytes"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil || out.BuildUploadID == "" {
		return s, fmt.Errorf("--json output without build_upload_id (%v): %q", err, stdout.String())
	}
	if got := strings.Trim(string(out.Bytes), `"`); got != strconv.FormatInt(size, 10) {
		return s, fmt.Errorf("--json says %s bytes, the file has %d", got, size)
	}
	if err := e.check(size, sum); err != nil {
		return s, err
	}
	if b.o.trace && len(f.Rules) > 0 {
		e.logRetries()
	}
	return e.sample(size, m.Wall, m.HWMMiB), nil
}

func (e *emulatorRun) sample(size int64, wall, rss float64) sample {
	e.mu.Lock()
	n := e.parts
	var busy time.Duration
	for _, ev := range e.trace {
		busy += ev.end.Sub(ev.start)
	}
	e.mu.Unlock()
	put := e.putPhase()
	return sample{Wall: wall, PUT: put, RSS: rss, PartRequests: n, InFlight: busy.Seconds() / put,
		Parts: int((size + emulator.DefaultPartSize - 1) / emulator.DefaultPartSize)}
}

// cleanEnv is this process's environment without settings that would change
// how asc-action behaves (GitHub Actions mode, inputs, ASC_* defaults).
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "ASC_") || strings.HasPrefix(name, "INPUT_") || strings.HasPrefix(name, "GITHUB_") ||
			name == "CI" || name == "RUNNER_TEMP" {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// tunedWriteBuffer is the connection write buffer of the second baseline:
// the size asc-action's transfer client uses (transfer.NewHTTPClient), so
// that the comparison also holds on equal footing with net/http's 4 KiB
// default.
const tunedWriteBuffer = 256 << 10

// baseline creates the build upload and its file with plain net/http, then
// has a child process (this program again, see putChild) PUT every part in
// parallel, commits and checks the bytes. It returns the PUT phase's seconds
// and the child's peak RSS in MiB. A writeBuffer of 0 keeps net/http's
// default connection write buffer.
func (b *bench) baseline(ctx context.Context, path string, size int64, sum string, writeBuffer int, f emulator.Faults) (sample, error) {
	e, err := b.startEmulator(f)
	if err != nil {
		return sample{}, err
	}
	defer e.close()
	b.build++
	api := &apiClient{base: e.url, key: b.key}
	var up struct {
		Data struct{ ID string } `json:"data"`
	}
	err = api.do(ctx, "POST", "/v1/buildUploads", map[string]any{"data": map[string]any{
		"type":          "buildUploads",
		"attributes":    map[string]any{"cfBundleShortVersionString": "1.0", "cfBundleVersion": strconv.Itoa(100 + b.build), "platform": "IOS"},
		"relationships": map[string]any{"app": map[string]any{"data": map[string]any{"type": "apps", "id": "1000000001"}}},
	}}, &up)
	if err != nil {
		return sample{}, err
	}
	var file struct {
		Data struct {
			ID         string
			Attributes struct {
				UploadOperations []struct {
					Method         string
					URL            string
					Offset, Length int64
					PartNumber     int
					RequestHeaders []struct{ Name, Value string }
				}
			}
		} `json:"data"`
	}
	err = api.do(ctx, "POST", "/v1/buildUploadFiles", map[string]any{"data": map[string]any{
		"type":          "buildUploadFiles",
		"attributes":    map[string]any{"assetType": "ASSET", "fileName": filepath.Base(path), "fileSize": size, "uti": "com.apple.ipa"},
		"relationships": map[string]any{"buildUpload": map[string]any{"data": map[string]any{"type": "buildUploads", "id": up.Data.ID}}},
	}}, &file)
	if err != nil {
		return sample{}, err
	}
	job := putJob{Path: path, Parallelism: b.o.parallelism, WriteBuffer: writeBuffer}
	for _, op := range file.Data.Attributes.UploadOperations {
		o := transfer.Operation{Method: op.Method, URL: op.URL, Offset: op.Offset, Length: op.Length, PartNumber: op.PartNumber}
		for _, h := range op.RequestHeaders {
			o.Headers = append(o.Headers, transfer.Header{Name: h.Name, Value: h.Value})
		}
		job.Ops = append(job.Ops, o)
	}
	if len(job.Ops) == 0 {
		return sample{}, errors.New("the emulator answered no uploadOperations")
	}
	_, rss, err := b.putChild(ctx, job)
	if err != nil {
		return sample{}, err
	}
	err = api.do(ctx, "PATCH", "/v1/buildUploadFiles/"+file.Data.ID, map[string]any{"data": map[string]any{
		"type": "buildUploadFiles", "id": file.Data.ID, "attributes": map[string]any{"uploaded": true},
	}}, nil)
	if err != nil {
		return sample{}, err
	}
	if err := e.check(size, sum); err != nil {
		return sample{}, err
	}
	return e.sample(size, 0, rss), nil
}

// apiClient calls the emulator's API with a fresh golang-jwt token per call.
type apiClient struct {
	base string
	key  *key
}

func (a *apiClient) token() (string, error) {
	now := time.Now()
	t := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss": a.key.issuer, "iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(), "aud": "appstoreconnect-v1",
	})
	t.Header["kid"] = a.key.id
	return t.SignedString(a.key.priv)
}

func (a *apiClient) do(ctx context.Context, method, path string, body, out any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	tok, err := a.token()
	if err != nil {
		return fmt.Errorf("minting a token: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, bytes.NewReader(data))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(answer))
	}
	if out != nil {
		if err := json.Unmarshal(answer, out); err != nil {
			return fmt.Errorf("%s %s: decoding the answer: %w", method, path, err)
		}
	}
	return nil
}
