package emulator

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// makeIPA builds an .ipa in memory: Payload/Demo.app/Info.plist (XML) and a
// stored (uncompressed) blob of pad pseudo-random bytes.
func makeIPA(t testing.TB, bundleID, version string, pad int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("Payload/Demo.app/Info.plist")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
<key>CFBundleIdentifier</key><string>%s</string>
<key>CFBundleVersion</key><string>%s</string>
<key>CFBundleShortVersionString</key><string>1.0</string>
</dict></plist>`, bundleID, version)
	w, err = zw.CreateHeader(&zip.FileHeader{Name: "Payload/Demo.app/Demo", Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	blob := make([]byte, pad)
	r := rand.New(rand.NewPCG(1, uint64(pad)))
	for i := range blob {
		blob[i] = byte(r.Uint32())
	}
	w.Write(blob)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type uploadOp struct {
	URL     string
	Offset  int64
	Length  int64
	Part    int
	Headers map[string]string
	Expires time.Time
}

func uploadBody(version string) map[string]any {
	return map[string]any{"data": map[string]any{"type": "buildUploads",
		"attributes":    map[string]any{"cfBundleShortVersionString": "1.0", "cfBundleVersion": version, "platform": "IOS"},
		"relationships": map[string]any{"app": map[string]any{"data": map[string]any{"type": "apps", "id": "1000000001"}}}}}
}

func fileBody(uploadID, name string, size int) map[string]any {
	return map[string]any{"data": map[string]any{"type": "buildUploadFiles",
		"attributes":    map[string]any{"assetType": "ASSET", "fileName": name, "fileSize": size, "uti": "com.apple.ipa"},
		"relationships": map[string]any{"buildUpload": map[string]any{"data": map[string]any{"type": "buildUploads", "id": uploadID}}}}}
}

func commitBody(fileID string, extra map[string]any) map[string]any {
	attrs := map[string]any{"uploaded": true}
	for k, v := range extra {
		attrs[k] = v
	}
	return map[string]any{"data": map[string]any{"type": "buildUploadFiles", "id": fileID, "attributes": attrs}}
}

func (e *env) createUpload(version string) string {
	e.t.Helper()
	r := e.do("POST", "/v1/buildUploads", uploadBody(version))
	if r.status != 201 {
		e.t.Fatalf("create upload: %d %s", r.status, r.body)
	}
	return dig(r.json(e.t), "data", "id").(string)
}

func parseOps(t testing.TB, doc map[string]any) []uploadOp {
	t.Helper()
	var ops []uploadOp
	list, _ := dig(doc, "data", "attributes", "uploadOperations").([]any)
	for _, o := range list {
		op := uploadOp{URL: dig(o, "url").(string), Offset: int64(dig(o, "offset").(float64)),
			Length: int64(dig(o, "length").(float64)), Part: int(dig(o, "partNumber").(float64)), Headers: map[string]string{}}
		if dig(o, "method") != "PUT" {
			t.Fatalf("method %v", dig(o, "method"))
		}
		for _, h := range dig(o, "requestHeaders").([]any) {
			op.Headers[dig(h, "name").(string)] = dig(h, "value").(string)
		}
		exp, err := time.Parse(time.RFC3339, dig(o, "expiration").(string))
		if err != nil {
			t.Fatalf("expiration: %v", err)
		}
		op.Expires = exp
		ops = append(ops, op)
	}
	return ops
}

func (e *env) createFile(uploadID string, size int) (string, []uploadOp) {
	e.t.Helper()
	r := e.do("POST", "/v1/buildUploadFiles", fileBody(uploadID, "Demo.ipa", size))
	if r.status != 201 {
		e.t.Fatalf("create file: %d %s", r.status, r.body)
	}
	doc := r.json(e.t)
	if st := dig(doc, "data", "attributes", "assetDeliveryState", "state"); st != "AWAITING_UPLOAD" {
		e.t.Errorf("assetDeliveryState %v", st)
	}
	return dig(doc, "data", "id").(string), parseOps(e.t, doc)
}

// put sends one part with plain net/http; mod may alter the request.
func put(t testing.TB, c *http.Client, op uploadOp, data []byte, mod func(*http.Request)) (int, string, error) {
	t.Helper()
	req, err := http.NewRequest("PUT", op.URL, bytes.NewReader(data[op.Offset:op.Offset+op.Length]))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range op.Headers {
		req.Header.Set(k, v)
	}
	if mod != nil {
		mod(req)
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, string(b), err
}

func (e *env) uploadState(id string) (string, map[string]any) {
	e.t.Helper()
	doc := e.mustGet("/v1/buildUploads/" + id)
	st, _ := dig(doc, "data", "attributes", "state", "state").(string)
	return st, doc
}

func TestUploadFlowWithFakeClock(t *testing.T) {
	const partSize = 64 << 10
	e := newEnv(t, Config{PartSize: partSize, PartURLTTL: 10 * time.Minute,
		UploadProcessingDelay: 5 * time.Minute, BuildProcessingDelay: 20 * time.Minute})
	ipa := makeIPA(t, DemoBundleID, "42", 20*partSize+1234)
	want := sha256.Sum256(ipa)

	// A build number that exists already is refused before anything is created.
	if r := e.do("POST", "/v1/buildUploads", uploadBody("1")); r.status != 409 || r.errorCode(t) != "ENTITY_ERROR.ATTRIBUTE.INVALID.DUPLICATE" {
		t.Fatalf("duplicate build number: %d %s", r.status, r.body)
	}

	id := e.createUpload("42")
	if st, doc := e.uploadState(id); st != StateAwaitingUpload || dig(doc, "data", "attributes", "cfBundleVersion") != "42" {
		t.Fatalf("new upload: %v", doc)
	}
	// The same number again is a duplicate while the first upload lives.
	if r := e.do("POST", "/v1/buildUploads", uploadBody("42")); r.status != 409 {
		t.Errorf("second upload of 42: %d", r.status)
	}
	fileID, ops := e.createFile(id, len(ipa))
	if len(ops) != 21 {
		t.Fatalf("%d parts for %d bytes at %d per part", len(ops), len(ipa), partSize)
	}
	var total int64
	for i, op := range ops {
		if op.Part != i+1 || op.Offset != total || op.Headers["Content-Type"] != "application/octet-stream" || op.Headers["x-asc-upload-token"] == "" {
			t.Fatalf("op %d: %+v", i, op)
		}
		if !op.Expires.Equal(e.clock.Now().Add(10 * time.Minute)) {
			t.Errorf("expiration %v", op.Expires)
		}
		total += op.Length
	}
	if total != int64(len(ipa)) {
		t.Fatalf("parts cover %d of %d bytes", total, len(ipa))
	}
	if r := e.do("POST", "/v1/buildUploadFiles", fileBody(id, "again.ipa", 10)); r.status != 409 {
		t.Errorf("second ASSET file: %d %s", r.status, r.body)
	}

	c := &http.Client{}
	first := ops[0]
	refusals := []struct {
		name   string
		mod    func(*http.Request)
		status int
		text   string
	}{
		{"Authorization header", func(r *http.Request) { r.Header.Set("Authorization", "Bearer x") }, 400, "Authorization"},
		{"missing header", func(r *http.Request) { r.Header.Del("x-asc-upload-token") }, 403, "x-asc-upload-token"},
		{"wrong content type", func(r *http.Request) { r.Header.Set("Content-Type", "application/zip") }, 403, "Content-Type"},
		{"wrong length", func(r *http.Request) {
			r.Body = io.NopCloser(bytes.NewReader(ipa[:10]))
			r.ContentLength = 10
		}, 400, "exactly"},
		{"tampered signature", func(r *http.Request) {
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "signature=", "signature=0", 1)
		}, 403, "SignatureDoesNotMatch"},
		{"another part number", func(r *http.Request) { r.URL.Path = strings.TrimSuffix(r.URL.Path, "/1") + "/2" }, 403, "SignatureDoesNotMatch"},
		{"POST instead of PUT", func(r *http.Request) { r.Method = "POST" }, 405, "MethodNotAllowed"},
	}
	for _, tt := range refusals {
		t.Run("part refused: "+tt.name, func(t *testing.T) {
			st, body, err := put(t, c, first, ipa, tt.mod)
			if err != nil || st != tt.status || !strings.Contains(body, tt.text) {
				t.Errorf("got %d %q %v, want %d mentioning %q", st, body, err, tt.status, tt.text)
			}
		})
	}

	// Send every part but the last, in parallel and shuffled; part 3 twice.
	order := rand.New(rand.NewPCG(7, 7)).Perm(len(ops) - 1)
	order = append(order, 2)
	var wg sync.WaitGroup
	errs := make(chan error, len(order))
	for _, i := range order {
		wg.Add(1)
		go func(op uploadOp) {
			defer wg.Done()
			if st, body, err := put(t, c, op, ipa, nil); err != nil || st != 200 {
				errs <- fmt.Errorf("part %d: %d %s %v", op.Part, st, body, err)
			}
		}(ops[i])
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	// The last part's URL expires; a fresh one comes from GET buildUploadFiles.
	e.clock.Advance(11 * time.Minute)
	last := ops[len(ops)-1]
	if st, body, _ := put(t, c, last, ipa, nil); st != 403 || !strings.Contains(body, "Request has expired") {
		t.Fatalf("expired URL: %d %s", st, body)
	}
	fresh := parseOps(t, e.mustGet("/v1/buildUploadFiles/"+fileID))
	if st, body, err := put(t, c, fresh[len(fresh)-1], ipa, nil); st != 200 || err != nil {
		t.Fatalf("fresh URL: %d %s %v", st, body, err)
	}

	r := e.do("PATCH", "/v1/buildUploadFiles/"+fileID, commitBody(fileID, map[string]any{
		"sourceFileChecksums": map[string]any{"file": map[string]any{"hash": hex.EncodeToString(want[:]), "algorithm": "SHA_256"}}}))
	if r.status != 200 || dig(r.json(t), "data", "attributes", "assetDeliveryState", "state") != "UPLOAD_COMPLETE" {
		t.Fatalf("commit: %d %s", r.status, r.body)
	}
	if r := e.do("PATCH", "/v1/buildUploadFiles/"+fileID, commitBody(fileID, nil)); r.status != 409 {
		t.Errorf("second commit: %d", r.status)
	}
	if st, _, _ := put(t, c, fresh[0], ipa, nil); st != 409 {
		t.Errorf("part after commit: %d", st)
	}
	if st, _ := e.uploadState(id); st != StateProcessing {
		t.Fatalf("after commit: %s", st)
	}
	if r := e.do("DELETE", "/v1/buildUploads/"+id, nil); r.status != 409 {
		t.Errorf("delete while processing: %d", r.status)
	}
	e.clock.Advance(4 * time.Minute)
	if st, _ := e.uploadState(id); st != StateProcessing {
		t.Fatalf("4 of 5 minutes: %s", st)
	}
	e.clock.Advance(time.Minute)
	st, doc := e.uploadState(id)
	if st != StateComplete {
		t.Fatalf("after 5 minutes: %s %v", st, doc)
	}
	buildID, _ := dig(doc, "data", "relationships", "build", "data", "id").(string)
	if buildID == "" {
		t.Fatalf("no build: %v", doc)
	}
	if inc := e.mustGet("/v1/buildUploads/" + id + "?include=build,assetFile"); len(inc["included"].([]any)) != 2 {
		t.Errorf("include: %v", inc["included"])
	}
	b := e.mustGet("/v1/builds/" + buildID)
	if dig(b, "data", "attributes", "processingState") != "PROCESSING" || dig(b, "data", "attributes", "version") != "42" {
		t.Errorf("new build: %v", b["data"])
	}
	e.clock.Advance(20 * time.Minute)
	b = e.mustGet("/v1/builds?filter[app]=1000000001&filter[version]=42")
	if dig(b, "data", 0, "attributes", "processingState") != "VALID" {
		t.Errorf("build after processing: %v", b["data"])
	}
	if list := e.mustGet("/v1/apps/1000000001/buildUploads?filter[cfBundleVersion]=42"); len(ids(t, list)) != 1 {
		t.Errorf("app's build uploads: %v", list)
	}
	if list := e.mustGet("/v1/buildUploads/" + id + "/buildUploadFiles"); strings.Join(ids(t, list), "") != fileID {
		t.Errorf("upload's files: %v", list)
	}

	files, err := e.srv.UploadedFiles()
	if err != nil || len(files) != 1 {
		t.Fatalf("UploadedFiles: %v %v", files, err)
	}
	f := files[0]
	if f.SHA256 != hex.EncodeToString(want[:]) || f.Size != int64(len(ipa)) || f.Received != int64(len(ipa)) || !f.Committed || f.Incomplete {
		t.Errorf("reassembled: %+v", f)
	}
	if sha, size, err := e.srv.UploadedFileDigest(fileID); err != nil || sha != f.SHA256 || size != int64(len(ipa)) {
		t.Errorf("digest %s %d %v", sha, size, err)
	}
	if e.srv.IncompleteCommits() != 0 {
		t.Error("an incomplete commit was counted")
	}
	if n := e.srv.Requests()[OpUploadPart]; n < len(ops)+len(refusals) {
		t.Errorf("part requests counted %d", n)
	}
}

// uploadAll creates an upload for version with data and sends every part
// (skipping those in skip); it returns the upload and file IDs.
func (e *env) uploadAll(version string, data []byte, skip map[int]bool) (string, string) {
	e.t.Helper()
	id := e.createUpload(version)
	fileID, ops := e.createFile(id, len(data))
	for _, op := range ops {
		if skip[op.Part] {
			continue
		}
		if st, body, err := put(e.t, &http.Client{}, op, data, nil); st != 200 || err != nil {
			e.t.Fatalf("part %d: %d %s %v", op.Part, st, body, err)
		}
	}
	return id, fileID
}

func TestUploadOutcomes(t *testing.T) {
	tests := []struct {
		name      string
		faults    Faults
		data      func(t *testing.T) []byte
		skip      map[int]bool
		checksum  string
		wantState string
		wantCode  string
		wantBuild string
	}{
		{"valid ipa", Faults{}, func(t *testing.T) []byte { return makeIPA(t, DemoBundleID, "50", 5000) }, nil, "", StateComplete, "", "VALID"},
		{"bytes missing at commit", Faults{}, func(t *testing.T) []byte { return makeIPA(t, DemoBundleID, "50", 5000) }, map[int]bool{2: true}, "", StateFailed, "ASSET_FILE_INCOMPLETE", ""},
		{"not a zip", Faults{}, func(t *testing.T) []byte { return bytes.Repeat([]byte("not an ipa "), 500) }, nil, "", StateFailed, "ITMS-90167", ""},
		{"bundle ID differs", Faults{}, func(t *testing.T) []byte { return makeIPA(t, "com.other.app", "50", 5000) }, nil, "", StateFailed, "ITMS-90054", ""},
		{"build number differs", Faults{}, func(t *testing.T) []byte { return makeIPA(t, DemoBundleID, "51", 5000) }, nil, "", StateFailed, "ITMS-90055", ""},
		{"checksum differs", Faults{}, func(t *testing.T) []byte { return makeIPA(t, DemoBundleID, "50", 5000) }, nil, strings.Repeat("ab", 32), StateFailed, "ASSET_FILE_CHECKSUM_MISMATCH", ""},
		{"injected processing failure", Faults{FailProcessing: true}, func(t *testing.T) []byte { return makeIPA(t, DemoBundleID, "50", 5000) }, nil, "", StateFailed, "ITMS-90062", ""},
		{"injected invalid build", Faults{InvalidBuild: true}, func(t *testing.T) []byte { return makeIPA(t, DemoBundleID, "50", 5000) }, nil, "", StateComplete, "", "INVALID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Config{PartSize: 1024, Faults: tt.faults, UploadProcessingDelay: time.Minute, BuildProcessingDelay: time.Minute})
			data := tt.data(t)
			id, fileID := e.uploadAll("50", data, tt.skip)
			var extra map[string]any
			if tt.checksum != "" {
				extra = map[string]any{"sourceFileChecksums": map[string]any{"file": map[string]any{"hash": tt.checksum, "algorithm": "SHA_256"}}}
			}
			if r := e.do("PATCH", "/v1/buildUploadFiles/"+fileID, commitBody(fileID, extra)); r.status != 200 {
				t.Fatalf("commit: %d %s", r.status, r.body)
			}
			e.clock.Advance(2 * time.Minute)
			st, doc := e.uploadState(id)
			if st != tt.wantState {
				t.Fatalf("state %s, want %s: %v", st, tt.wantState, doc)
			}
			errs, _ := dig(doc, "data", "attributes", "state", "errors").([]any)
			if tt.wantCode != "" {
				if len(errs) == 0 || dig(errs[0], "code") != tt.wantCode || dig(errs[0], "description") == "" {
					t.Errorf("errors %v, want code %s", errs, tt.wantCode)
				}
				fdoc := e.mustGet("/v1/buildUploadFiles/" + fileID)
				if dig(fdoc, "data", "attributes", "assetDeliveryState", "state") != StateFailed {
					t.Errorf("file state %v", dig(fdoc, "data", "attributes", "assetDeliveryState"))
				}
				// A failed upload can be deleted, and frees its build number.
				if r := e.do("DELETE", "/v1/buildUploads/"+id, nil); r.status != 204 {
					t.Errorf("delete failed upload: %d %s", r.status, r.body)
				}
				if r := e.do("GET", "/v1/buildUploads/"+id, nil); r.status != 404 {
					t.Errorf("deleted upload: %d", r.status)
				}
				e.createUpload("50")
			} else if len(errs) != 0 && tt.wantBuild == "VALID" { // an INVALID build's reasons are on its upload (processing.go)
				t.Errorf("unexpected errors %v", errs)
			}
			if want := tt.skip != nil; (e.srv.IncompleteCommits() == 1) != want {
				t.Errorf("IncompleteCommits = %d", e.srv.IncompleteCommits())
			}
			if tt.wantBuild != "" {
				buildID := dig(doc, "data", "relationships", "build", "data", "id").(string)
				if b := e.mustGet("/v1/builds/" + buildID); dig(b, "data", "attributes", "processingState") != tt.wantBuild {
					t.Errorf("build %v", b["data"])
				}
			}
		})
	}
}

func TestUploadRequestErrors(t *testing.T) {
	e := newEnv(t, Config{})
	id := e.createUpload("60")
	tests := []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"unknown app", "POST", "/v1/buildUploads", func() any {
			b := uploadBody("61")
			dig(b, "data", "relationships", "app", "data").(map[string]any)["id"] = "999"
			return b
		}(), 422, "ENTITY_ERROR.RELATIONSHIP.INVALID"},
		{"missing version", "POST", "/v1/buildUploads", func() any {
			b := uploadBody("61")
			delete(dig(b, "data", "attributes").(map[string]any), "cfBundleVersion")
			return b
		}(), 422, "ENTITY_ERROR.ATTRIBUTE.REQUIRED"},
		{"bad platform", "POST", "/v1/buildUploads", func() any {
			b := uploadBody("61")
			dig(b, "data", "attributes").(map[string]any)["platform"] = "PLAYSTATION"
			return b
		}(), 422, "ENTITY_ERROR.ATTRIBUTE.INVALID"},
		{"wrong type", "POST", "/v1/buildUploads", map[string]any{"data": map[string]any{"type": "apps"}}, 409, "ENTITY_ERROR.INCORRECT_TYPE"},
		{"not JSON", "POST", "/v1/buildUploads", "{", 400, "PARAMETER_ERROR.INVALID"},
		{"file for unknown upload", "POST", "/v1/buildUploadFiles", fileBody("nope", "a.ipa", 10), 422, "ENTITY_ERROR.RELATIONSHIP.INVALID"},
		{"file of size 0", "POST", "/v1/buildUploadFiles", fileBody(id, "a.ipa", 0), 422, "ENTITY_ERROR.ATTRIBUTE.INVALID"},
		{"file over the size limit", "POST", "/v1/buildUploadFiles", fileBody(id, "a.ipa", MaxFileSize+1), 422, "ENTITY_ERROR.ATTRIBUTE.INVALID"},
		{"file name with a path", "POST", "/v1/buildUploadFiles", fileBody(id, "../a.ipa", 10), 422, "ENTITY_ERROR.ATTRIBUTE.INVALID"},
		{"commit of unknown file", "PATCH", "/v1/buildUploadFiles/nope", commitBody("nope", nil), 404, "NOT_FOUND"},
		{"commit with id mismatch", "PATCH", "/v1/buildUploadFiles/nope", commitBody("other", nil), 409, "ENTITY_ERROR.ID.INVALID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(tt.method, tt.path, tt.body)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if code := r.errorCode(t); code != tt.code {
				t.Errorf("code %q, want %q", code, tt.code)
			}
		})
	}
	// Parts grow so that no file needs more than MaxParts.
	t.Run("part count is capped", func(t *testing.T) {
		e := newEnv(t, Config{PartSize: 1024})
		id := e.createUpload("62")
		size := MaxParts*1024 + 5
		_, ops := e.createFile(id, size)
		if len(ops) > MaxParts || len(ops) < MaxParts-10 || ops[0].Length != 1025 || ops[len(ops)-1].Offset+ops[len(ops)-1].Length != int64(size) {
			t.Errorf("%d parts, first %d bytes", len(ops), ops[0].Length)
		}
	})
	// Deleting an upload awaiting its bytes removes it and its stored file.
	fileID, _ := e.createFile(id, 100)
	if r := e.do("DELETE", "/v1/buildUploads/"+id, nil); r.status != 204 || len(r.body) != 0 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if _, _, err := e.srv.UploadedFileDigest(fileID); err == nil {
		t.Error("deleted file still known")
	}
}

// TestRelationshipErrorTexts pins Apple's wording of the relationship errors
// that every create request answers with: the detail and the pointer.
func TestRelationshipErrorTexts(t *testing.T) {
	e := newEnv(t, Config{})
	noRel := func(b map[string]any) map[string]any {
		delete(dig(b, "data").(map[string]any), "relationships")
		return b
	}
	create := func(typ, relName string, rel map[string]any, attrs map[string]any) map[string]any {
		return map[string]any{"data": map[string]any{"type": typ, "attributes": attrs,
			"relationships": map[string]any{relName: rel}}}
	}
	tests := []struct {
		name, path      string
		body            any
		code            string
		detail, pointer string
	}{
		{"upload without app", "/v1/buildUploads", noRel(uploadBody("70")), "ENTITY_ERROR.RELATIONSHIP.REQUIRED",
			"You must provide a value for the relationship 'app' with this request", "/data/relationships/app"},
		{"upload for unknown app", "/v1/buildUploads", create("buildUploads", "app", tfRel("apps", "999"),
			map[string]any{"cfBundleShortVersionString": "1.0", "cfBundleVersion": "70", "platform": "IOS"}), "ENTITY_ERROR.RELATIONSHIP.INVALID",
			"There is no resource of type 'apps' with id '999'", "/data/relationships/app"},
		{"file with a linkage of another type", "/v1/buildUploadFiles", func() any {
			b := fileBody("x", "a.ipa", 10)
			dig(b, "data", "relationships", "buildUpload", "data").(map[string]any)["type"] = "apps"
			return b
		}(), "ENTITY_ERROR.RELATIONSHIP.REQUIRED",
			"You must provide a value for the relationship 'buildUpload' with this request", "/data/relationships/buildUpload"},
		{"file for unknown upload", "/v1/buildUploadFiles", fileBody("nope", "a.ipa", 10), "ENTITY_ERROR.RELATIONSHIP.INVALID",
			"There is no resource of type 'buildUploads' with id 'nope'", "/data/relationships/buildUpload"},
		{"localization without build", "/v1/betaBuildLocalizations", create("betaBuildLocalizations", "build", map[string]any{"data": nil},
			map[string]any{"locale": "en-US"}), "ENTITY_ERROR.RELATIONSHIP.REQUIRED",
			"You must provide a value for the relationship 'build' with this request", "/data/relationships/build"},
		{"localization for unknown build", "/v1/betaBuildLocalizations", create("betaBuildLocalizations", "build", tfRel("builds", "NOPE"),
			map[string]any{"locale": "en-US"}), "ENTITY_ERROR.RELATIONSHIP.INVALID",
			"There is no resource of type 'builds' with id 'NOPE'", "/data/relationships/build"},
		{"review submission with an empty build id", "/v1/betaAppReviewSubmissions", create("betaAppReviewSubmissions", "build", tfRel("builds", ""), nil),
			"ENTITY_ERROR.RELATIONSHIP.REQUIRED",
			"You must provide a value for the relationship 'build' with this request", "/data/relationships/build"},
		{"review submission for unknown build", "/v1/betaAppReviewSubmissions", create("betaAppReviewSubmissions", "build", tfRel("builds", "NOPE"), nil),
			"ENTITY_ERROR.RELATIONSHIP.INVALID",
			"There is no resource of type 'builds' with id 'NOPE'", "/data/relationships/build"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", tt.path, tt.body)
			if r.status != 422 {
				t.Fatalf("status %d, want 422: %s", r.status, r.body)
			}
			if code := r.errorCode(t); code != tt.code {
				t.Errorf("code %q, want %q", code, tt.code)
			}
			doc := r.json(t)
			if got := dig(doc, "errors", 0, "detail"); got != tt.detail {
				t.Errorf("detail %q, want %q", got, tt.detail)
			}
			if got := dig(doc, "errors", 0, "source", "pointer"); got != tt.pointer {
				t.Errorf("pointer %v, want %q", got, tt.pointer)
			}
			titles := map[string]string{
				"ENTITY_ERROR.RELATIONSHIP.REQUIRED": "The provided entity is missing a required relationship",
				"ENTITY_ERROR.RELATIONSHIP.INVALID":  "The provided entity includes a relationship with an invalid value",
			}
			if got := dig(doc, "errors", 0, "title"); got != titles[tt.code] {
				t.Errorf("title %q, want %q", got, titles[tt.code])
			}
		})
	}
}
