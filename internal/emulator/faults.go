package emulator

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Faults makes the emulator misbehave the way networks and busy servers do,
// so that clients' retries and recoveries can be tested. The zero value
// injects nothing. Decisions come from a generator seeded with Seed, so a
// run with the same requests in the same order sees the same faults.
type Faults struct {
	// Latency is added before every response (API calls and part uploads).
	Latency time.Duration
	// Rules fail a share of the requests to an operation.
	Rules []FaultRule
	// ExpireRate is the share of part URLs answered 403 "Request has
	// expired" whatever their expiration says. A given URL always gets the
	// same answer; a URL obtained again (GET /v1/buildUploadFiles/{id}) is a
	// new URL and gets a new draw.
	ExpireRate float64
	// RetryAfter is the Retry-After value sent with injected 429s (default 1s).
	RetryAfter time.Duration
	// FailProcessing makes every committed upload end FAILED with an
	// Apple-shaped error, as if App Store Connect rejected the binary.
	FailProcessing bool
	// InvalidBuild makes builds created by uploads end with processingState
	// INVALID instead of VALID.
	InvalidBuild bool
	// Seed seeds the fault decisions.
	Seed uint64
}

// FaultRule fails Rate (0 to 1) of the requests to Op with Kind.
type FaultRule struct {
	// Op is an operation: one of Apple's operation IDs (for example
	// buildUploads_createInstance), OpUploadPart for part PUTs, OpAPI for
	// every API operation, OpAll for everything, or an alias that
	// ParseFaults accepts (parts, commit, ...).
	Op   string
	Rate float64
	Kind FaultKind
}

// FaultKind is how an injected failure looks to the client.
type FaultKind string

// Kinds of injected failures.
const (
	Fault500      FaultKind = "500"      // 500 with Apple's UNEXPECTED_ERROR body
	Fault503      FaultKind = "503"      // 503 SERVICE_UNAVAILABLE
	Fault429      FaultKind = "429"      // 429 RATE_LIMIT_EXCEEDED with Retry-After
	FaultDrop     FaultKind = "drop"     // connection closed before any answer; nothing applied
	FaultTruncate FaultKind = "truncate" // request applied, response body cut short, connection closed
	FaultLose     FaultKind = "lose"     // request applied, connection closed before the answer
)

// Operation names used by fault rules and request counts, besides Apple's
// operation IDs.
const (
	OpUploadPart = "uploadPart" // PUT of one part's bytes to a part URL
	OpAPI        = "api"        // any App Store Connect API operation
	OpAll        = "all"        // any request at all
	OpUnknown    = "unknown"    // a request matching no operation
)

// opAliases are short names accepted in fault specs.
var opAliases = map[string]string{
	"parts":        OpUploadPart,
	"part":         OpUploadPart,
	"commit":       "buildUploadFiles_updateInstance",
	"createUpload": "buildUploads_createInstance",
	"createFile":   "buildUploadFiles_createInstance",
	"getUpload":    "buildUploads_getInstance",
	"getFile":      "buildUploadFiles_getInstance",
	"deleteUpload": "buildUploads_deleteInstance",
	"apps":         "apps_getCollection",
	"builds":       "builds_getCollection",
	"certificates": "certificates_getCollection",
	"profiles":     "profiles_getCollection",
}

// knownOps lists every operation name a rule may name.
var knownOps = set(OpUploadPart, OpAPI, OpAll,
	"apps_getCollection", "apps_getInstance", "certificates_getCollection", "profiles_getCollection",
	"builds_getCollection", "builds_getInstance", "buildUploads_createInstance", "buildUploads_getInstance",
	"buildUploads_deleteInstance", "apps_buildUploads_getToManyRelated", "buildUploadFiles_createInstance",
	"buildUploadFiles_getInstance", "buildUploadFiles_updateInstance", "buildUploads_buildUploadFiles_getToManyRelated")

// ErrFaultSpec reports a fault specification that cannot be parsed.
var ErrFaultSpec = errors.New("invalid fault specification")

// ParseFaults reads the flag form of Faults: comma-separated items, each one of
//
//	latency:20ms           add 20 ms before every response
//	OP:RATE:KIND           fail RATE (0..1) of OP's requests with KIND
//	                       (500, 503, 429, drop, truncate, lose)
//	OP:lose                shorthand for OP:1:lose (e.g. commit:lose)
//	expire:RATE            answer RATE of part URLs 403 "Request has expired"
//	retry-after:2s         Retry-After sent with injected 429s
//	processing:fail        committed uploads end FAILED
//	build:invalid          uploaded builds end INVALID
//	seed:N                 seed for the fault decisions
//
// OP is an operation ID, uploadPart, api, all, or an alias (parts, commit,
// createUpload, createFile, getUpload, getFile, deleteUpload, apps, builds,
// certificates, profiles). Example: "parts:0.2:503,commit:lose,latency:20ms".
func ParseFaults(spec string) (Faults, error) {
	var f Faults
	bad := func(item, why string) (Faults, error) {
		return Faults{}, fmt.Errorf("%w: %q: %s (example: parts:0.2:503,commit:lose,latency:20ms)", ErrFaultSpec, item, why)
	}
	for item := range strings.SplitSeq(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		parts := strings.Split(item, ":")
		name := parts[0]
		switch {
		case name == "latency" && len(parts) == 2:
			d, err := time.ParseDuration(parts[1])
			if err != nil || d < 0 {
				return bad(item, "latency must be a duration such as 20ms")
			}
			f.Latency = d
		case name == "retry-after" && len(parts) == 2:
			d, err := time.ParseDuration(parts[1])
			if err != nil || d < 0 {
				return bad(item, "retry-after must be a duration such as 2s")
			}
			f.RetryAfter = d
		case name == "expire" && len(parts) == 2:
			r, err := parseRate(parts[1])
			if err != nil {
				return bad(item, err.Error())
			}
			f.ExpireRate = r
		case name == "seed" && len(parts) == 2:
			n, err := strconv.ParseUint(parts[1], 10, 64)
			if err != nil {
				return bad(item, "seed must be a non-negative integer")
			}
			f.Seed = n
		case name == "processing" && len(parts) == 2 && parts[1] == "fail":
			f.FailProcessing = true
		case name == "build" && len(parts) == 2 && parts[1] == "invalid":
			f.InvalidBuild = true
		case len(parts) == 2 && parts[1] == string(FaultLose):
			op, ok := resolveOp(name)
			if !ok {
				return bad(item, "unknown operation "+strconv.Quote(name))
			}
			f.Rules = append(f.Rules, FaultRule{Op: op, Rate: 1, Kind: FaultLose})
		case len(parts) == 3:
			op, ok := resolveOp(name)
			if !ok {
				return bad(item, "unknown operation "+strconv.Quote(name))
			}
			r, err := parseRate(parts[1])
			if err != nil {
				return bad(item, err.Error())
			}
			k := FaultKind(parts[2])
			switch k {
			case Fault500, Fault503, Fault429, FaultDrop, FaultTruncate, FaultLose:
			default:
				return bad(item, "kind must be 500, 503, 429, drop, truncate or lose")
			}
			f.Rules = append(f.Rules, FaultRule{Op: op, Rate: r, Kind: k})
		default:
			return bad(item, "not a known item")
		}
	}
	return f, nil
}

func resolveOp(name string) (string, bool) {
	if a, ok := opAliases[name]; ok {
		return a, true
	}
	return name, knownOps[name]
}

func parseRate(s string) (float64, error) {
	r, err := strconv.ParseFloat(s, 64)
	if err != nil || r < 0 || r > 1 || r != r {
		return 0, errors.New("rate must be a number from 0 to 1")
	}
	return r, nil
}

// String gives the flag form of f, which ParseFaults reads back.
func (f Faults) String() string {
	var items []string
	if f.Latency > 0 {
		items = append(items, "latency:"+f.Latency.String())
	}
	for _, r := range f.Rules {
		items = append(items, r.Op+":"+strconv.FormatFloat(r.Rate, 'g', -1, 64)+":"+string(r.Kind))
	}
	if f.ExpireRate > 0 {
		items = append(items, "expire:"+strconv.FormatFloat(f.ExpireRate, 'g', -1, 64))
	}
	if f.RetryAfter > 0 {
		items = append(items, "retry-after:"+f.RetryAfter.String())
	}
	if f.FailProcessing {
		items = append(items, "processing:fail")
	}
	if f.InvalidBuild {
		items = append(items, "build:invalid")
	}
	if f.Seed != 0 {
		items = append(items, "seed:"+strconv.FormatUint(f.Seed, 10))
	}
	return strings.Join(items, ",")
}

// faultState draws fault decisions from a seeded generator.
type faultState struct {
	mu  sync.Mutex
	f   Faults
	rng *rand.Rand
}

func newFaultState(f Faults) *faultState {
	if len(f.Rules) > 0 {
		rules := make([]FaultRule, len(f.Rules))
		for i, r := range f.Rules {
			if a, ok := opAliases[r.Op]; ok {
				r.Op = a
			}
			rules[i] = r
		}
		f.Rules = rules
	}
	return &faultState{f: f, rng: rand.New(rand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15))}
}

func (fs *faultState) get() Faults {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.f
}

// pick returns the fault to inject into a request to op, if any. Rules are
// tried in order; each applicable rule draws once.
func (fs *faultState) pick(op string, api bool) (FaultKind, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, r := range fs.f.Rules {
		applies := r.Op == op || r.Op == OpAll || (r.Op == OpAPI && api)
		if !applies || r.Rate <= 0 {
			continue
		}
		if r.Rate >= 1 || fs.rng.Float64() < r.Rate {
			return r.Kind, true
		}
	}
	return "", false
}

// expired decides, the same way every time for one URL signature, whether a
// part URL is treated as expired.
func (fs *faultState) expired(sig string) bool {
	fs.mu.Lock()
	rate, seed := fs.f.ExpireRate, fs.f.Seed
	fs.mu.Unlock()
	if rate <= 0 {
		return false
	}
	h := seed ^ 0xcbf29ce484222325
	for i := 0; i < len(sig); i++ {
		h ^= uint64(sig[i])
		h *= 0x100000001b3
	}
	return float64(h>>11)/float64(1<<53) < rate
}
