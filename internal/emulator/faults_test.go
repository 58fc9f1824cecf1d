package emulator

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseFaults(t *testing.T) {
	good := []struct {
		spec string
		want Faults
	}{
		{"", Faults{}},
		{"latency:20ms", Faults{Latency: 20 * time.Millisecond}},
		{"parts:0.2:503,commit:lose,latency:20ms", Faults{Latency: 20 * time.Millisecond, Rules: []FaultRule{
			{Op: OpUploadPart, Rate: 0.2, Kind: Fault503}, {Op: "buildUploadFiles_updateInstance", Rate: 1, Kind: FaultLose}}}},
		{"api:0.05:429, retry-after:3s ,seed:42", Faults{RetryAfter: 3 * time.Second, Seed: 42, Rules: []FaultRule{{Op: OpAPI, Rate: 0.05, Kind: Fault429}}}},
		{"buildUploads_getInstance:1:truncate,all:0:drop", Faults{Rules: []FaultRule{
			{Op: "buildUploads_getInstance", Rate: 1, Kind: FaultTruncate}, {Op: OpAll, Rate: 0, Kind: FaultDrop}}}},
		{"expire:0.5,processing:fail,build:invalid", Faults{ExpireRate: 0.5, FailProcessing: true, InvalidBuild: true}},
		{"createUpload:0.1:500", Faults{Rules: []FaultRule{{Op: "buildUploads_createInstance", Rate: 0.1, Kind: Fault500}}}},
	}
	for _, tt := range good {
		t.Run(tt.spec, func(t *testing.T) {
			got, err := ParseFaults(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			back, err := ParseFaults(got.String())
			if err != nil || !reflect.DeepEqual(back, got) {
				t.Errorf("String %q does not read back: %+v %v", got.String(), back, err)
			}
		})
	}
	bad := []struct{ spec, why string }{
		{"latency:fast", "duration"},
		{"parts:1.5:503", "rate"},
		{"parts:-0.1:503", "rate"},
		{"parts:0.2:418", "kind"},
		{"uploads:0.2:503", "unknown operation"},
		{"nothing", "not a known item"},
		{"expire:2", "rate"},
		{"seed:-1", "seed"},
		{"parts:NaN:503", "rate"},
	}
	for _, tt := range bad {
		t.Run("bad "+tt.spec, func(t *testing.T) {
			_, err := ParseFaults(tt.spec)
			if !errors.Is(err, ErrFaultSpec) || !strings.Contains(err.Error(), tt.why) || !strings.Contains(err.Error(), "example") {
				t.Errorf("err %v, want ErrFaultSpec about %q with an example", err, tt.why)
			}
		})
	}
}

func TestInjectedFaults(t *testing.T) {
	e := newEnv(t, Config{PartSize: 1024})
	data := makeIPA(t, DemoBundleID, "70", 3000)
	id := e.createUpload("70")
	fileID, ops := e.createFile(id, len(data))
	c := &http.Client{}

	t.Run("status faults on parts", func(t *testing.T) {
		for _, kind := range []FaultKind{Fault500, Fault503, Fault429} {
			e.srv.SetFaults(Faults{Rules: []FaultRule{{Op: OpUploadPart, Rate: 1, Kind: kind}}, RetryAfter: 2 * time.Second})
			req, _ := http.NewRequest("PUT", ops[0].URL, strings.NewReader(string(data[:ops[0].Length])))
			for k, v := range ops[0].Headers {
				req.Header.Set(k, v)
			}
			res, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if string(kind) != res.Status[:3] {
				t.Errorf("%s: got %s", kind, res.Status)
			}
			if kind == Fault429 && res.Header.Get("Retry-After") != "2" {
				t.Errorf("Retry-After %q", res.Header.Get("Retry-After"))
			}
		}
	})

	t.Run("API 429 with Retry-After and Apple's body", func(t *testing.T) {
		e.srv.SetFaults(Faults{Rules: []FaultRule{{Op: OpAPI, Rate: 1, Kind: Fault429}}})
		r := e.do("GET", "/v1/buildUploads/"+id, nil)
		if r.status != 429 || r.header.Get("Retry-After") != "1" || r.errorCode(t) != "RATE_LIMIT_EXCEEDED" {
			t.Errorf("%d %q %s", r.status, r.header.Get("Retry-After"), r.body)
		}
	})

	t.Run("dropped connection", func(t *testing.T) {
		e.srv.SetFaults(Faults{Rules: []FaultRule{{Op: "apps_getCollection", Rate: 1, Kind: FaultDrop}}})
		res, err := c.Get(e.hs.URL + "/v1/apps")
		if err == nil {
			res.Body.Close()
			t.Fatalf("got %s, want a dropped connection", res.Status)
		}
	})

	t.Run("truncated body", func(t *testing.T) {
		e.srv.SetFaults(Faults{Rules: []FaultRule{{Op: "apps_getCollection", Rate: 1, Kind: FaultTruncate}}})
		req, _ := http.NewRequest("GET", e.hs.URL+"/v1/apps", nil)
		req.Header.Set("Authorization", "Bearer "+e.key.token(t, e.clock.Now()))
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("status %d, read error %v; want 200 then unexpected EOF", res.StatusCode, err)
		}
	})

	t.Run("truncated part answer: bytes kept, answer broken", func(t *testing.T) {
		// Aliases work in the Go form too.
		e.srv.SetFaults(Faults{Rules: []FaultRule{{Op: "parts", Rate: 1, Kind: FaultTruncate}}})
		st, _, err := put(t, c, ops[0], data, nil)
		if err == nil {
			t.Errorf("answer %d arrived whole", st)
		}
		files, ferr := e.srv.UploadedFiles()
		if ferr != nil || len(files) != 1 || files[0].Received != ops[0].Length {
			t.Errorf("received %+v %v, want part 1's %d bytes", files, ferr, ops[0].Length)
		}
	})

	t.Run("expired part URLs", func(t *testing.T) {
		e.srv.SetFaults(Faults{ExpireRate: 1})
		st, body, _ := put(t, c, ops[0], data, nil)
		if st != 403 || !strings.Contains(body, "Request has expired") {
			t.Errorf("%d %s", st, body)
		}
	})

	t.Run("lost commit response is applied", func(t *testing.T) {
		e.srv.SetFaults(Faults{})
		for _, op := range ops {
			if st, body, err := put(t, c, op, data, nil); st != 200 {
				t.Fatalf("part %d: %d %s %v", op.Part, st, body, err)
			}
		}
		f, err := ParseFaults("commit:lose")
		if err != nil {
			t.Fatal(err)
		}
		e.srv.SetFaults(f)
		req, _ := http.NewRequest("PATCH", e.hs.URL+"/v1/buildUploadFiles/"+fileID,
			strings.NewReader(`{"data":{"type":"buildUploadFiles","id":"`+fileID+`","attributes":{"uploaded":true}}}`))
		req.Header.Set("Authorization", "Bearer "+e.key.token(t, e.clock.Now()))
		req.Header.Set("Content-Type", "application/json")
		if res, err := c.Do(req); err == nil {
			res.Body.Close()
			t.Fatalf("commit answered %s; want its response lost", res.Status)
		}
		e.srv.SetFaults(Faults{})
		if st, _ := e.uploadState(id); st == StateAwaitingUpload {
			t.Errorf("commit not applied: %s", st)
		}
		if e.srv.IncompleteCommits() != 0 {
			t.Error("counted incomplete")
		}
	})

	t.Run("latency", func(t *testing.T) {
		e.srv.SetFaults(Faults{Latency: 30 * time.Millisecond})
		start := time.Now()
		e.mustGet("/v1/apps")
		if d := time.Since(start); d < 30*time.Millisecond {
			t.Errorf("answered in %v despite 30ms latency", d)
		}
	})
}

func TestFaultDecisionsAreSeeded(t *testing.T) {
	run := func(seed uint64) string {
		fs := newFaultState(Faults{Seed: seed, Rules: []FaultRule{{Op: OpUploadPart, Rate: 0.3, Kind: Fault503}}})
		var b strings.Builder
		for range 200 {
			if _, hit := fs.pick(OpUploadPart, false); hit {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b, c := run(1), run(1), run(2)
	if a != b {
		t.Error("same seed, different faults")
	}
	if a == c {
		t.Error("different seeds, same faults")
	}
	if n := strings.Count(a, "x"); n < 30 || n > 90 {
		t.Errorf("%d of 200 requests failed at rate 0.3", n)
	}
	fs := newFaultState(Faults{Seed: 5, Rules: []FaultRule{{Op: OpAPI, Rate: 1, Kind: Fault500}}})
	if _, hit := fs.pick(OpUploadPart, false); hit {
		t.Error("an api rule hit a part upload")
	}
	fs = newFaultState(Faults{Seed: 5, ExpireRate: 0.5})
	hits := 0
	for i := range 100 {
		sig := strings.Repeat("a", i+1)
		if first := fs.expired(sig); fs.expired(sig) != first {
			t.Fatal("one URL, two answers")
		}
		if fs.expired(sig) {
			hits++
		}
	}
	if hits < 25 || hits > 75 {
		t.Errorf("%d of 100 URLs expired at rate 0.5", hits)
	}
}

func FuzzParseFaults(f *testing.F) {
	for _, s := range []string{"parts:0.2:503,commit:lose,latency:20ms", "expire:0.1,seed:9", "api:1:truncate", ":::", "latency:-1s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		got, err := ParseFaults(spec)
		if err != nil {
			if !errors.Is(err, ErrFaultSpec) {
				t.Fatalf("error not ErrFaultSpec: %v", err)
			}
			return
		}
		back, err := ParseFaults(got.String())
		if err != nil || !reflect.DeepEqual(back, got) {
			t.Fatalf("%q parsed to %+v, whose String %q reads back as %+v, %v", spec, got, got.String(), back, err)
		}
	})
}

// TestRetriedPartsReassembleExactly retries every part through dropped,
// failed and lost answers with a plain client; the file must reassemble to
// the same bytes and commit complete.
func TestRetriedPartsReassembleExactly(t *testing.T) {
	for _, spec := range []string{"parts:0.4:drop,seed:3", "parts:0.4:lose,seed:4", "parts:0.2:503,parts:0.2:truncate,seed:5"} {
		t.Run(spec, func(t *testing.T) {
			f, err := ParseFaults(spec)
			if err != nil {
				t.Fatal(err)
			}
			e := newEnv(t, Config{PartSize: 2048, Faults: f})
			data := makeIPA(t, DemoBundleID, "80", 40000)
			id := e.createUpload("80")
			fileID, ops := e.createFile(id, len(data))
			c := &http.Client{}
			tries := 0
			for _, op := range ops {
				for {
					tries++
					if tries > 50*len(ops) {
						t.Fatal("parts never got through")
					}
					st, _, err := put(t, c, op, data, nil)
					if err == nil && st == 200 {
						break
					}
				}
			}
			if tries == len(ops) {
				t.Errorf("no fault was injected in %d part requests", tries)
			}
			if r := e.do("PATCH", "/v1/buildUploadFiles/"+fileID, commitBody(fileID, nil)); r.status != 200 {
				t.Fatalf("commit: %d %s", r.status, r.body)
			}
			if st, doc := e.uploadState(id); st != StateComplete {
				t.Fatalf("state %s: %v", st, doc)
			}
			sha, size, err := e.srv.UploadedFileDigest(fileID)
			want := sha256.Sum256(data)
			if err != nil || sha != hex.EncodeToString(want[:]) || size != int64(len(data)) {
				t.Errorf("reassembled %s (%d bytes), want %x (%d)", sha, size, want, len(data))
			}
			// A request sent on a connection the emulator had just closed
			// never reaches it, so the emulator may count fewer.
			if n := e.srv.Requests()[OpUploadPart]; n > tries || n < len(ops) {
				t.Errorf("counted %d part requests; %d sent for %d parts", n, tries, len(ops))
			}
		})
	}
}
