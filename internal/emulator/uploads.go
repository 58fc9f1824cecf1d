package emulator

import (
	"archive/zip"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"howett.net/plist"
)

// Limits on build upload files.
const (
	MaxFileSize = 64 << 30 // largest fileSize accepted
	MaxParts    = 10000    // most parts a file is split into
)

// Upload states, as Apple's BuildUploadState names them.
const (
	StateAwaitingUpload = "AWAITING_UPLOAD"
	StateProcessing     = "PROCESSING"
	StateFailed         = "FAILED"
	StateComplete       = "COMPLETE"
)

// stateDetail is one of Apple's messages in a state object (processing.go).
type stateDetail = StateMessage

type buildUpload struct {
	id, appID, shortVersion, version, platform string
	created                                    time.Time
	state                                      string
	errors, warnings, infos                    []stateDetail
	committed                                  time.Time // zero until the file is committed
	fileID                                     string
	buildID                                    string
	plan                                       Processing // how its processing ends (processing.go)
}

type uploadFile struct {
	id, uploadID         string
	fileName, uti, asset string
	size, partSize       int64
	path                 string
	token                string // value of the x-asc-upload-token part header
	received             []bool
	committed            bool
	incomplete           bool
	wantSHA256, wantMD5  string
	deliveryState        string
	deliveryErrors       []stateDetail
	check                *fileCheck
	writeMu              sync.Mutex // serialises f creation/removal with part writes
	writers              sync.WaitGroup
	removed              bool
}

// fileCheck is the background examination of a committed file.
type fileCheck struct {
	done   chan struct{}
	size   int64
	sha256 string
	md5    string
	err    error // reading failed
	// archive verdict: empty when the file is an acceptable archive
	problem stateDetail
}

// UploadedFile describes the bytes the emulator reassembled for one build
// upload file.
type UploadedFile struct {
	BuildUploadID string
	FileID        string
	FileName      string
	Size          int64  // declared fileSize
	Received      int64  // bytes of parts received so far
	Committed     bool   // PATCH uploaded:true arrived
	Incomplete    bool   // the commit arrived with bytes missing
	SHA256        string // hex digest of the reassembled file (computed on demand)
}

// UploadedFiles lists every build upload file, oldest first, with the digest
// of its reassembled bytes. Computing digests reads the files, so call it
// when the upload is over.
func (s *Server) UploadedFiles() ([]UploadedFile, error) {
	s.mu.Lock()
	var out []UploadedFile
	var paths []string
	for _, uid := range s.uploadOrder {
		u, ok := s.uploads[uid]
		if !ok || u.fileID == "" {
			continue
		}
		f := s.files[u.fileID]
		out = append(out, UploadedFile{BuildUploadID: uid, FileID: f.id, FileName: f.fileName, Size: f.size,
			Received: f.receivedBytes(), Committed: f.committed, Incomplete: f.incomplete})
		paths = append(paths, f.path)
	}
	s.mu.Unlock()
	for i, p := range paths {
		sum, _, err := digestFile(p, nil)
		if err != nil {
			return nil, fmt.Errorf("emulator: read reassembled file %s: %w", out[i].FileID, err)
		}
		out[i].SHA256 = sum
	}
	return out, nil
}

// UploadedFileDigest returns the SHA-256 (hex) and size of the bytes
// reassembled for the build upload file with this ID.
func (s *Server) UploadedFileDigest(fileID string) (sha string, size int64, err error) {
	s.mu.Lock()
	f, ok := s.files[fileID]
	s.mu.Unlock()
	if !ok {
		return "", 0, fmt.Errorf("emulator: no build upload file %q", fileID)
	}
	sha, _, err = digestFile(f.path, nil)
	if err != nil {
		return "", 0, err
	}
	st, err := os.Stat(f.path)
	if err != nil {
		return "", 0, err
	}
	return sha, st.Size(), nil
}

func (f *uploadFile) receivedBytes() int64 {
	var n int64
	for i, ok := range f.received {
		if ok {
			n += partLength(f.size, f.partSize, i)
		}
	}
	return n
}

func partLength(size, partSize int64, i int) int64 {
	off := int64(i) * partSize
	return min(partSize, size-off)
}

func (s *Server) uploadResource(r *http.Request, u *buildUpload) resource {
	type stateObj struct {
		State    string        `json:"state"`
		Errors   []stateDetail `json:"errors"`
		Warnings []stateDetail `json:"warnings"`
		Infos    []stateDetail `json:"infos"`
	}
	type attrs struct {
		CFBundleShortVersionString string   `json:"cfBundleShortVersionString"`
		CFBundleVersion            string   `json:"cfBundleVersion"`
		CreatedDate                string   `json:"createdDate"`
		State                      stateObj `json:"state"`
		Platform                   string   `json:"platform"`
		UploadedDate               string   `json:"uploadedDate,omitempty"`
	}
	a := attrs{CFBundleShortVersionString: u.shortVersion, CFBundleVersion: u.version, CreatedDate: appleTime(u.created),
		State:    stateObj{State: u.state, Errors: nonNil(u.errors), Warnings: nonNil(u.warnings), Infos: nonNil(u.infos)},
		Platform: u.platform}
	if !u.committed.IsZero() {
		a.UploadedDate = appleTime(u.committed)
	}
	rels := map[string]relationship{
		"buildUploadFiles": {Links: &relLinks{Related: baseURL(r) + "/v1/buildUploads/" + u.id + "/buildUploadFiles"}},
	}
	if u.buildID != "" {
		rels["build"] = relationship{Data: &linkage{Type: "builds", ID: u.buildID}}
	}
	if u.fileID != "" {
		rels["assetFile"] = relationship{Data: &linkage{Type: "buildUploadFiles", ID: u.fileID}}
	}
	return resource{Type: "buildUploads", ID: u.id, Attributes: a, Relationships: rels, Links: selfLink(r, "buildUploads", u.id)}
}

func nonNil(d []stateDetail) []stateDetail {
	if d == nil {
		return []stateDetail{}
	}
	return d
}

// uploadVersion is the attributes of a build upload create request.
type uploadVersion struct {
	CFBundleShortVersionString string `json:"cfBundleShortVersionString"`
	CFBundleVersion            string `json:"cfBundleVersion"`
	Platform                   string `json:"platform"`
}

// readBody decodes a JSON request body, answering Apple's errors for a body
// that is not JSON, of the wrong type, or with an attribute over its limit
// (attrlimits.go).
func readBody(w http.ResponseWriter, r *http.Request, v any, wantType string) bool {
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBody))
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		writeEntityError(w, http.StatusBadRequest, "PARAMETER_ERROR.INVALID", "The request entity is not valid JSON",
			"The request body could not be parsed as JSON: "+err.Error(), "")
		return false
	}
	var probe struct {
		Data struct {
			Type string `json:"type"`
		} `json:"data"`
	}
	_ = json.Unmarshal(b, &probe)
	if probe.Data.Type != wantType {
		writeEntityError(w, http.StatusConflict, "ENTITY_ERROR.INCORRECT_TYPE", "The provided entity has an incorrect type",
			fmt.Sprintf("The resource type '%s' is not valid here; expected '%s'.", probe.Data.Type, wantType), "/data/type")
		return false
	}
	return attributesWithinLimits(w, b)
}

// invalidAttr answers Apple's ENTITY_ERROR.ATTRIBUTE.INVALID for attr with
// status (422 for a bad value, 409 for one the state refuses) and detail.
func invalidAttr(w http.ResponseWriter, status int, attr, detail string) {
	writeEntityError(w, status, "ENTITY_ERROR.ATTRIBUTE.INVALID", "An attribute value is invalid.", detail, "/data/attributes/"+attr)
}

func requiredAttr(w http.ResponseWriter, name, value string) bool {
	if value != "" {
		return true
	}
	writeEntityError(w, http.StatusUnprocessableEntity, "ENTITY_ERROR.ATTRIBUTE.REQUIRED", "The provided entity is missing a required attribute",
		fmt.Sprintf("You must provide a value for the attribute '%s' with this request", name), "/data/attributes/"+name)
	return false
}

// requiredRelationship checks the to-one relationship name of a create
// request: a linkage of type typ with an id, or Apple's
// ENTITY_ERROR.RELATIONSHIP.REQUIRED.
func requiredRelationship(w http.ResponseWriter, name, typ string, l *linkage) bool {
	if l != nil && l.Type == typ && l.ID != "" {
		return true
	}
	writeEntityError(w, http.StatusUnprocessableEntity, "ENTITY_ERROR.RELATIONSHIP.REQUIRED", "The provided entity is missing a required relationship",
		fmt.Sprintf("You must provide a value for the relationship '%s' with this request", name), "/data/relationships/"+name)
	return false
}

func (s *Server) createBuildUpload(w http.ResponseWriter, r *http.Request, _ *Key) {
	req, ok := readCreated[uploadVersion, struct {
		App toOne `json:"app"`
	}](w, r, "buildUploads")
	if !ok {
		return
	}
	a := req.Data.Attributes
	if !requiredAttr(w, "cfBundleShortVersionString", a.CFBundleShortVersionString) ||
		!requiredAttr(w, "cfBundleVersion", a.CFBundleVersion) || !requiredAttr(w, "platform", a.Platform) {
		return
	}
	if !platforms[a.Platform] {
		invalidAttr(w, http.StatusUnprocessableEntity, "platform", fmt.Sprintf("'%s' is not a valid value for the attribute 'platform'.", a.Platform))
		return
	}
	rel := req.Data.Relationships.App.Data
	s.withTarget(w, relation{"app", "apps", in(&s.data.Apps)}, rel, func() {
		if s.duplicate(rel.ID, a.Platform, a.CFBundleVersion) {
			alreadyUsed(w, "cfBundleVersion", fmt.Sprintf("The bundle version must be higher than the previously uploaded version: '%s'.", a.CFBundleVersion))
			return
		}
		u := &buildUpload{id: newUUID(), appID: rel.ID, shortVersion: a.CFBundleShortVersionString, version: a.CFBundleVersion,
			platform: a.Platform, created: s.now(), state: StateAwaitingUpload}
		s.uploads[u.id] = u
		s.uploadOrder = append(s.uploadOrder, u.id)
		writeOne(w, r, http.StatusCreated, s.uploadResource(r, u))
	})
}

// duplicate reports whether the app already has this build number for the
// platform: a build, or an upload that has not failed.
func (s *Server) duplicate(appID, platform, version string) bool {
	for _, b := range s.data.Builds {
		if b.App == appID && b.Version == version && platformOr(b.Platform) == platform {
			return true
		}
	}
	for _, u := range s.uploads {
		if u.appID == appID && u.version == version && u.platform == platform && u.state != StateFailed {
			return true
		}
	}
	return false
}

// serveUpload answers a GET of the build upload with the path's id, or of
// what belongs to it, with the document read makes of the upload.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request, read func(q readQuery, u *buildUpload) document) {
	id := r.PathValue("id")
	s.serveRoute(w, r, "buildUploads", id, func(q readQuery) (document, bool) {
		u, ok := s.uploads[id]
		if !ok {
			return document{}, false
		}
		return read(q, u), true
	})
}

func (s *Server) getBuildUpload(w http.ResponseWriter, r *http.Request, _ *Key) {
	s.serveUpload(w, r, func(q readQuery, u *buildUpload) document {
		var included []any
		for _, inc := range q.include {
			switch inc {
			case "build":
				if b, ok := s.findBuild(u.buildID); ok {
					included = append(included, s.buildResource(r, b))
				}
			case "assetFile":
				if f, ok := s.files[u.fileID]; ok {
					included = append(included, s.fileResource(r, f, false))
				}
			} // assetDescriptionFile, assetSpiFile: the emulator keeps none; routeQuery refused any other name
		}
		return oneDoc(r, s.uploadResource(r, u), included...)
	})
}

func (s *Server) listAppBuildUploads(w http.ResponseWriter, r *http.Request, _ *Key) {
	pid := r.PathValue("id")
	s.serveRoute(w, r, "apps", pid, func(q readQuery) (document, bool) {
		if _, ok := s.findApp(pid); !ok {
			return document{}, false
		}
		var items []resource
		for _, id := range s.uploadOrder {
			u, ok := s.uploads[id]
			if ok && u.appID == pid && q.matches("cfBundleShortVersionString", u.shortVersion) && q.matches("cfBundleVersion", u.version) &&
				q.matches("platform", u.platform) && q.matches("state", u.state) {
				items = append(items, s.uploadResource(r, u))
			}
		}
		return pageDoc(r, q, items), true
	})
}

func (s *Server) deleteBuildUpload(w http.ResponseWriter, r *http.Request, _ *Key) {
	pid := r.PathValue("id")
	s.mu.Lock()
	u, ok := s.uploads[pid]
	if !ok {
		s.mu.Unlock()
		writeNotFound(w, "buildUploads", pid)
		return
	}
	if u.state == StateProcessing || u.state == StateComplete {
		s.mu.Unlock()
		writeEntityError(w, http.StatusConflict, "STATE_ERROR", "The request cannot be fulfilled because of the state of another resource.",
			fmt.Sprintf("The build upload is %s and can no longer be deleted.", u.state), "")
		return
	}
	delete(s.uploads, u.id)
	s.uploadOrder = slices.DeleteFunc(s.uploadOrder, func(id string) bool { return id == u.id })
	f := s.files[u.fileID]
	delete(s.files, u.fileID)
	s.mu.Unlock()
	if f != nil {
		f.remove()
	}
	w.WriteHeader(http.StatusNoContent)
}

func (f *uploadFile) remove() {
	f.writeMu.Lock()
	f.removed = true
	f.writeMu.Unlock()
	f.writers.Wait()
	if f.check != nil {
		<-f.check.done
	}
	_ = os.Remove(f.path)
}

// fileResource renders a build upload file; withOps adds fresh
// uploadOperations (part URLs) while the file awaits its bytes.
func (s *Server) fileResource(r *http.Request, f *uploadFile, withOps bool) resource {
	type delivery struct {
		State  string        `json:"state"`
		Errors []stateDetail `json:"errors"`
	}
	type header struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	type op struct {
		Method         string   `json:"method"`
		URL            string   `json:"url"`
		Length         int64    `json:"length"`
		Offset         int64    `json:"offset"`
		RequestHeaders []header `json:"requestHeaders"`
		Expiration     string   `json:"expiration"`
		PartNumber     int      `json:"partNumber"`
	}
	type checksum struct {
		Hash      string `json:"hash"`
		Algorithm string `json:"algorithm"`
	}
	type checksums struct {
		File *checksum `json:"file,omitempty"`
	}
	type attrs struct {
		AssetDeliveryState  delivery   `json:"assetDeliveryState"`
		AssetType           string     `json:"assetType"`
		FileName            string     `json:"fileName"`
		FileSize            int64      `json:"fileSize"`
		SourceFileChecksums *checksums `json:"sourceFileChecksums,omitempty"`
		UploadOperations    []op       `json:"uploadOperations,omitempty"`
		UTI                 string     `json:"uti"`
	}
	a := attrs{AssetDeliveryState: delivery{State: f.deliveryState, Errors: nonNil(f.deliveryErrors)},
		AssetType: f.asset, FileName: f.fileName, FileSize: f.size, UTI: f.uti}
	if f.wantSHA256 != "" {
		a.SourceFileChecksums = &checksums{File: &checksum{Hash: f.wantSHA256, Algorithm: "SHA_256"}}
	} else if f.wantMD5 != "" {
		a.SourceFileChecksums = &checksums{File: &checksum{Hash: f.wantMD5, Algorithm: "MD5"}}
	}
	if withOps && !f.committed {
		exp := s.now().Add(s.cfg.PartURLTTL).UTC().Truncate(time.Second)
		issue := s.urlIssue.Add(1)
		for i := range f.received {
			n := i + 1
			u := fmt.Sprintf("%s%s%s/%d?expires=%d&issue=%d&signature=%s", baseURL(r), partPrefix, f.id, n, exp.Unix(), issue, s.sign(f.id, n, exp.Unix(), issue))
			a.UploadOperations = append(a.UploadOperations, op{Method: http.MethodPut, URL: u,
				Offset: int64(i) * f.partSize, Length: partLength(f.size, f.partSize, i), PartNumber: n,
				Expiration: appleTime(exp),
				RequestHeaders: []header{{Name: "Content-Type", Value: "application/octet-stream"},
					{Name: "x-asc-upload-token", Value: f.token}}})
		}
	}
	return resource{Type: "buildUploadFiles", ID: f.id, Attributes: a, Links: selfLink(r, "buildUploadFiles", f.id)}
}

func (s *Server) sign(fileID string, part int, expires int64, issue uint64) string {
	m := hmac.New(sha256.New, s.secret)
	fmt.Fprintf(m, "%s\n%d\n%d\n%d", fileID, part, expires, issue)
	return hex.EncodeToString(m.Sum(nil))
}

var utis = set("com.apple.ipa", "com.apple.pkg", "com.pkware.zip-archive", "com.apple.binary-property-list", "com.apple.xml-property-list")

type createFileRequest struct {
	Data struct {
		Attributes struct {
			AssetType string `json:"assetType"`
			FileName  string `json:"fileName"`
			FileSize  int64  `json:"fileSize"`
			UTI       string `json:"uti"`
		} `json:"attributes"`
		Relationships struct {
			BuildUpload toOne `json:"buildUpload"`
		} `json:"relationships"`
	} `json:"data"`
}

func (s *Server) createUploadFile(w http.ResponseWriter, r *http.Request, _ *Key) {
	var req createFileRequest
	if !readBody(w, r, &req, "buildUploadFiles") {
		return
	}
	a := req.Data.Attributes
	if !requiredAttr(w, "fileName", a.FileName) || !requiredAttr(w, "uti", a.UTI) || !requiredAttr(w, "assetType", a.AssetType) {
		return
	}
	invalid := func(attr, detail string) { invalidAttr(w, http.StatusUnprocessableEntity, attr, detail) }
	switch {
	case a.FileSize < 1:
		invalid("fileSize", "The attribute 'fileSize' must be a positive number of bytes.")
		return
	case a.FileSize > MaxFileSize:
		invalid("fileSize", fmt.Sprintf("The file is larger than the %d bytes the emulator accepts.", int64(MaxFileSize)))
		return
	case !utis[a.UTI]:
		invalid("uti", fmt.Sprintf("'%s' is not a valid value for the attribute 'uti'.", a.UTI))
		return
	case a.AssetType != "ASSET" && a.AssetType != "ASSET_DESCRIPTION" && a.AssetType != "ASSET_SPI":
		invalid("assetType", fmt.Sprintf("'%s' is not a valid value for the attribute 'assetType'.", a.AssetType))
		return
	case a.AssetType != "ASSET":
		invalid("assetType", "The emulator accepts only the ASSET file of a build upload.")
		return
	case strings.ContainsAny(a.FileName, `/\`):
		invalid("fileName", "The attribute 'fileName' must be a file name, not a path.")
		return
	}
	rel := req.Data.Relationships.BuildUpload.Data
	uploadKnown := func(id string) bool { _, ok := s.uploads[id]; return ok }
	s.withTarget(w, relation{"buildUpload", "buildUploads", uploadKnown}, rel, func() {
		u := s.uploads[rel.ID]
		if u.fileID != "" || u.state != StateAwaitingUpload {
			writeInvalidRelationship(w, http.StatusConflict,
				"The build upload already has its ASSET file; create a new build upload to send another file.", "/data/relationships/buildUpload")
			return
		}
		s.addUploadFile(w, r, u, a.FileName, a.UTI, a.AssetType, a.FileSize)
	})
}

// addUploadFile gives build upload u its file, stored sparse in the store
// directory, and answers with it. The caller holds s.mu.
func (s *Server) addUploadFile(w http.ResponseWriter, r *http.Request, u *buildUpload, name, uti, asset string, size int64) {
	tok := make([]byte, 16)
	_, _ = rand.Read(tok)
	f := &uploadFile{id: newUUID(), uploadID: u.id, fileName: name, uti: uti, asset: asset, size: size,
		token: hex.EncodeToString(tok), deliveryState: StateAwaitingUpload}
	f.path = filepath.Join(s.storeDir, f.id+".bin")
	fh, err := os.Create(f.path)
	if err == nil {
		err = fh.Truncate(f.size) // sparse: no bytes are held until parts arrive
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		s.logf("emulator: cannot create store file: %v", err)
		writeError(w, http.StatusInternalServerError, "UNEXPECTED_ERROR", "An unexpected error occurred.", "The emulator could not create storage for the file.")
		return
	}
	// Like Apple, the emulator chooses the parts: PartSize each, grown so
	// that no file needs more than MaxParts.
	f.partSize = max(s.cfg.PartSize, (f.size+MaxParts-1)/MaxParts)
	parts := int((f.size + f.partSize - 1) / f.partSize)
	f.received = make([]bool, parts)
	s.files[f.id] = f
	u.fileID = f.id
	writeOne(w, r, http.StatusCreated, s.fileResource(r, f, true))
}

func (s *Server) getUploadFile(w http.ResponseWriter, r *http.Request, _ *Key) {
	pid := r.PathValue("id")
	s.serveRoute(w, r, "buildUploadFiles", pid, func(readQuery) (document, bool) {
		f, ok := s.files[pid]
		if !ok {
			return document{}, false
		}
		return oneDoc(r, s.fileResource(r, f, true)), true
	})
}

func (s *Server) listUploadFiles(w http.ResponseWriter, r *http.Request, _ *Key) {
	s.serveUpload(w, r, func(q readQuery, u *buildUpload) document {
		var items []resource
		if f, ok := s.files[u.fileID]; ok {
			items = append(items, s.fileResource(r, f, true))
		}
		return pageDoc(r, q, items)
	})
}

type commitRequest struct {
	Data struct {
		ID         string `json:"id"`
		Attributes struct {
			Uploaded            *bool `json:"uploaded"`
			SourceFileChecksums *struct {
				File *struct {
					Hash      string `json:"hash"`
					Algorithm string `json:"algorithm"`
				} `json:"file"`
				Composite *struct {
					Hash      string `json:"hash"`
					Algorithm string `json:"algorithm"`
				} `json:"composite"`
			} `json:"sourceFileChecksums"`
		} `json:"attributes"`
	} `json:"data"`
}

// commitUploadFile handles PATCH /v1/buildUploadFiles/{id}: uploaded:true
// commits the file; processing then runs on the emulator's clock.
func (s *Server) commitUploadFile(w http.ResponseWriter, r *http.Request, _ *Key) {
	pid := r.PathValue("id")
	var req commitRequest
	if !readBody(w, r, &req, "buildUploadFiles") {
		return
	}
	if req.Data.ID != pid {
		writeEntityError(w, http.StatusConflict, "ENTITY_ERROR.ID.INVALID", "The provided entity id is invalid",
			fmt.Sprintf("The resource id '%s' in the body does not match the id '%s' in the path.", req.Data.ID, pid), "/data/id")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[pid]
	if !ok {
		writeNotFound(w, "buildUploadFiles", pid)
		return
	}
	if cs := req.Data.Attributes.SourceFileChecksums; cs != nil {
		if cs.File != nil {
			switch strings.ToUpper(cs.File.Algorithm) {
			case "SHA_256":
				f.wantSHA256 = strings.ToLower(cs.File.Hash)
			case "MD5":
				f.wantMD5 = strings.ToLower(cs.File.Hash)
			default:
				invalidAttr(w, http.StatusConflict, "sourceFileChecksums", fmt.Sprintf("'%s' is not a supported checksum algorithm.", cs.File.Algorithm))
				return
			}
		}
	}
	if up := req.Data.Attributes.Uploaded; up != nil && *up {
		if f.committed {
			writeEntityError(w, http.StatusConflict, "STATE_ERROR", "The request cannot be fulfilled because of the state of another resource.",
				"The file has already been marked uploaded.", "/data/attributes/uploaded")
			return
		}
		u := s.uploads[f.uploadID]
		f.committed = true
		f.deliveryState = "UPLOAD_COMPLETE"
		f.incomplete = slices.Contains(f.received, false)
		if f.incomplete {
			s.incomplete++
		}
		now := s.now()
		u.committed = now
		u.state = StateProcessing
		f.check = &fileCheck{done: make(chan struct{})}
		if f.incomplete {
			close(f.check.done)
		} else {
			s.work.Add(1)
			go func() {
				defer s.work.Done()
				s.examine(f, u.platform)
			}()
		}
	}
	writeOne(w, r, http.StatusOK, s.fileResource(r, f, false))
}

// examine reads a committed file once: digests, then whether it is an
// archive App Store Connect could process. It runs in the background.
func (s *Server) examine(f *uploadFile, platform string) {
	c := f.check
	defer close(c.done)
	var md hash.Hash
	if f.wantMD5 != "" {
		md = md5.New()
	}
	c.sha256, c.size, c.err = digestFile(f.path, md)
	if c.err != nil {
		return
	}
	if md != nil {
		c.md5 = hex.EncodeToString(md.Sum(nil))
	}
	if s.cfg.SkipArchiveCheck || f.uti == "com.apple.pkg" || platform == "MAC_OS" {
		return
	}
	c.problem = inspectIPA(f.path)
}

func digestFile(p string, extra hash.Hash) (string, int64, error) {
	fh, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer fh.Close()
	h := sha256.New()
	var w io.Writer = h
	if extra != nil {
		w = io.MultiWriter(h, extra)
	}
	n, err := io.CopyBuffer(w, fh, make([]byte, 1<<20))
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// ipaInfo is what the emulator reads from Payload/*.app/Info.plist.
type ipaInfo struct {
	BundleID     string `plist:"CFBundleIdentifier"`
	Version      string `plist:"CFBundleVersion"`
	ShortVersion string `plist:"CFBundleShortVersionString"`
}

var errNotIPA = stateDetail{Code: "ITMS-90167", Description: "No .app bundles found in the package."}

// inspectIPA checks the file is a zip archive with Payload/<name>.app/.
// It returns an Apple-shaped problem, or the zero value when acceptable.
func inspectIPA(p string) stateDetail {
	zr, err := zip.OpenReader(p)
	if err != nil {
		return errNotIPA
	}
	defer zr.Close()
	for _, zf := range zr.File {
		dir, name := path.Split(zf.Name)
		if name == "Info.plist" && strings.HasPrefix(dir, "Payload/") && strings.HasSuffix(dir, ".app/") && strings.Count(dir, "/") == 2 {
			return stateDetail{}
		}
	}
	return errNotIPA
}

// readIPAInfo reads the app's Info.plist from an IPA, if it has one.
func readIPAInfo(p string) (ipaInfo, bool) {
	var info ipaInfo
	zr, err := zip.OpenReader(p)
	if err != nil {
		return info, false
	}
	defer zr.Close()
	for _, zf := range zr.File {
		dir, name := path.Split(zf.Name)
		if name != "Info.plist" || !strings.HasPrefix(dir, "Payload/") || !strings.HasSuffix(dir, ".app/") || strings.Count(dir, "/") != 2 {
			continue
		}
		if zf.UncompressedSize64 > 4<<20 {
			return info, false
		}
		rc, err := zf.Open()
		if err != nil {
			return info, false
		}
		b, err := io.ReadAll(io.LimitReader(rc, 4<<20))
		rc.Close()
		if err != nil {
			return info, false
		}
		if _, err := plist.Unmarshal(b, &info); err != nil {
			return info, false
		}
		return info, true
	}
	return info, false
}

// advance moves committed uploads and their builds along their timelines,
// as seen from the emulator's clock. Files still being examined are waited
// for outside the lock.
func (s *Server) advance() {
	now := s.now()
	s.mu.Lock()
	var waits []chan struct{}
	for _, u := range s.uploads {
		if u.state == StateProcessing && !now.Before(u.committed.Add(s.cfg.UploadProcessingDelay)) {
			if f := s.files[u.fileID]; f != nil && f.check != nil {
				waits = append(waits, f.check.done)
			}
		}
	}
	s.mu.Unlock()
	for _, c := range waits {
		<-c
	}
	faults := s.faults.get()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range s.uploadOrder {
		u := s.uploads[id]
		if u == nil || u.state != StateProcessing || now.Before(u.committed.Add(s.cfg.UploadProcessingDelay)) {
			continue
		}
		f := s.files[u.fileID]
		if f == nil || f.check == nil {
			continue // seeded in flight (inflight.go): no file to decide on
		}
		select {
		case <-f.check.done:
		default:
			continue // committed again meanwhile; decided on a later request
		}
		s.decide(u, f, faults)
	}
	for i := range s.data.BetaAppReviewSubmissions {
		sub := &s.data.BetaAppReviewSubmissions[i]
		if sub.State == "WAITING_FOR_REVIEW" && !sub.SubmittedDate.IsZero() && !now.Before(sub.SubmittedDate.Add(s.cfg.BetaReviewDelay)) {
			sub.State = "APPROVED"
		}
	}
	for i := range s.data.Builds {
		b := &s.data.Builds[i]
		if b.ProcessingState != "PROCESSING" || b.UploadedDate.IsZero() {
			continue
		}
		if !now.Before(b.UploadedDate.Add(s.cfg.BuildProcessingDelay)) {
			s.endBuild(b, faults)
		}
	}
	s.webhooksAdvanced(now) // webhooks_send.go
}

// decide ends an upload's processing: FAILED with Apple-shaped errors, or
// COMPLETE with a new build whose processing starts.
func (s *Server) decide(u *buildUpload, f *uploadFile, faults Faults) {
	c := f.check
	var problems []stateDetail
	switch {
	case f.incomplete:
		missing := f.size - f.receivedBytes()
		problems = append(problems, stateDetail{Code: "ASSET_FILE_INCOMPLETE",
			Description: fmt.Sprintf("The file was marked uploaded with %d of its %d bytes missing. Send every part before committing.", missing, f.size)})
	case c.err != nil:
		problems = append(problems, stateDetail{Code: "ASSET_FILE_UNREADABLE", Description: "The uploaded file could not be read."})
	case f.wantSHA256 != "" && f.wantSHA256 != c.sha256, f.wantMD5 != "" && f.wantMD5 != c.md5:
		problems = append(problems, stateDetail{Code: "ASSET_FILE_CHECKSUM_MISMATCH",
			Description: "The checksum given when the file was committed does not match the bytes received."})
	case c.problem != (stateDetail{}):
		problems = append(problems, c.problem)
	}
	plan := s.processingPlan(faults)
	u.plan, u.warnings = plan, plan.Warnings
	if len(problems) == 0 && plan.Outcome == ProcessingUploadFailed {
		problems = plan.errors()
	}
	if len(problems) == 0 && !s.cfg.SkipArchiveCheck && f.uti == "com.apple.ipa" {
		if info, ok := readIPAInfo(f.path); ok {
			app, _ := s.findApp(u.appID)
			if info.BundleID != "" && info.BundleID != app.BundleID {
				problems = append(problems, stateDetail{Code: "ITMS-90054",
					Description: fmt.Sprintf("The bundle identifier %q in Info.plist does not match the app's bundle ID %q.", info.BundleID, app.BundleID)})
			}
			if info.Version != "" && info.Version != u.version {
				problems = append(problems, stateDetail{Code: "ITMS-90055",
					Description: fmt.Sprintf("CFBundleVersion %q in Info.plist does not match the build upload's cfBundleVersion %q.", info.Version, u.version)})
			}
		}
	}
	if len(problems) > 0 {
		u.state = StateFailed
		u.errors = problems
		f.deliveryState = StateFailed
		f.deliveryErrors = problems
		return
	}
	u.state = StateComplete
	f.deliveryState = StateComplete
	done := u.committed.Add(s.cfg.UploadProcessingDelay)
	b := Build{ID: newUUID(), App: u.appID, Version: u.version, ShortVersion: u.shortVersion, Platform: u.platform,
		ProcessingState: "PROCESSING", UploadedDate: done, ExpirationDate: done.Add(90 * 24 * time.Hour)}
	s.data.Builds = append(s.data.Builds, b)
	u.buildID = b.ID
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

func partError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message></Error>", code, msg)
}

// putPart receives one part's bytes at a presigned URL and writes them at
// their offset in the file's store.
func (s *Server) putPart(w http.ResponseWriter, r *http.Request) {
	fileID, part, ok := s.checkPartURL(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	f, found := s.files[fileID]
	var committed bool
	if found {
		committed = f.committed
	}
	s.mu.Unlock()
	if !found || part > len(f.received) {
		partError(w, http.StatusNotFound, "NoSuchUpload", "The specified upload does not exist.")
		return
	}
	for _, h := range [][2]string{{"Content-Type", "application/octet-stream"}, {"x-asc-upload-token", f.token}} {
		if got := r.Header.Values(h[0]); len(got) != 1 || got[0] != h[1] {
			partError(w, http.StatusForbidden, "SignatureDoesNotMatch",
				fmt.Sprintf("The request must carry the header %s exactly as given in requestHeaders.", h[0]))
			return
		}
	}
	if committed {
		partError(w, http.StatusConflict, "InvalidRequest", "The file has already been marked uploaded; parts can no longer be sent.")
		return
	}
	i := part - 1
	length := partLength(f.size, f.partSize, i)
	if r.ContentLength < 0 {
		partError(w, http.StatusLengthRequired, "MissingContentLength", "You must provide the Content-Length HTTP header.")
		return
	}
	if r.ContentLength != length {
		partError(w, http.StatusBadRequest, "InvalidPartLength",
			fmt.Sprintf("Part %d must be exactly %d bytes; the request declared %d.", part, length, r.ContentLength))
		return
	}
	f.writeMu.Lock()
	if f.removed {
		f.writeMu.Unlock()
		partError(w, http.StatusNotFound, "NoSuchUpload", "The specified upload does not exist.")
		return
	}
	f.writers.Add(1)
	f.writeMu.Unlock()
	n, err := s.writePart(f, int64(i)*f.partSize, length, r.Body)
	f.writers.Done()
	if err != nil || n != length {
		s.logf("emulator: part %d of %s: %d of %d bytes arrived", part, fileID, n, length)
		partError(w, http.StatusBadRequest, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.")
		return
	}
	s.mu.Lock()
	if !f.committed {
		f.received[i] = true
	}
	s.mu.Unlock()
	w.Header().Set("ETag", strconv.Quote(fmt.Sprintf("%s-%d", fileID[:8], part)))
	w.WriteHeader(http.StatusOK)
}

// checkPartURL reads a part URL's file and part number after checking, in
// S3's order and words, its signature, the method, that no Authorization
// header came along, and its expiry.
func (s *Server) checkPartURL(w http.ResponseWriter, r *http.Request) (fileID string, part int, ok bool) {
	fileID, partStr, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, partPrefix), "/")
	part, err := strconv.Atoi(partStr)
	q := r.URL.Query()
	expires, err2 := strconv.ParseInt(q.Get("expires"), 10, 64)
	issue, err3 := strconv.ParseUint(q.Get("issue"), 10, 64)
	sig := q.Get("signature")
	if !ok || err != nil || err2 != nil || err3 != nil || part < 1 ||
		!hmac.Equal([]byte(sig), []byte(s.sign(fileID, part, expires, issue))) {
		partError(w, http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
		return "", 0, false
	}
	switch {
	case r.Method != http.MethodPut:
		partError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
	case r.Header.Get("Authorization") != "":
		partError(w, http.StatusBadRequest, "InvalidArgument", "Only one auth mechanism allowed; a presigned URL must be sent without an Authorization header.")
	case !s.now().Before(time.Unix(expires, 0)) || s.faults.expired(sig):
		partError(w, http.StatusForbidden, "AccessDenied", "Request has expired")
	default:
		return fileID, part, true
	}
	return "", 0, false
}

func (s *Server) writePart(f *uploadFile, off, length int64, body io.Reader) (int64, error) {
	fh, err := os.OpenFile(f.path, os.O_WRONLY, 0)
	if err != nil {
		return 0, err
	}
	defer fh.Close()
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	n, err := io.CopyBuffer(io.NewOffsetWriter(fh, off), io.LimitReader(body, length), *bp)
	if err == nil && n == length {
		// A body longer than declared is refused too.
		var one [1]byte
		if m, _ := body.Read(one[:]); m > 0 {
			return n, errors.New("body longer than the part")
		}
	}
	return n, err
}
