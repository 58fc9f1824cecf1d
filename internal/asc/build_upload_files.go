package asc

import "context"

// Asset types and UTIs for build upload files.
const (
	AssetTypeAsset = "ASSET"
	UTIIPA         = "com.apple.ipa"
	UTIPKG         = "com.apple.pkg"
)

// Checksum algorithms (Apple's ChecksumAlgorithm).
const (
	ChecksumMD5    = "MD5"
	ChecksumSHA256 = "SHA_256"
)

// BuildUploadFile is a file of an upload, with the part operations that
// carry its bytes (resource type "buildUploadFiles").
type BuildUploadFile = Resource[BuildUploadFileAttributes]

// BuildUploadFileAttributes are the file's fields.
type BuildUploadFileAttributes struct {
	AssetDeliveryState  *AssetDeliveryState `json:"assetDeliveryState,omitempty"`
	AssetToken          string              `json:"assetToken,omitempty"`
	AssetType           string              `json:"assetType,omitempty"`
	FileName            string              `json:"fileName,omitempty"`
	FileSize            int64               `json:"fileSize,omitempty"`
	SourceFileChecksums *Checksums          `json:"sourceFileChecksums,omitempty"`
	UploadOperations    []UploadOperation   `json:"uploadOperations,omitempty"`
	UTI                 string              `json:"uti,omitempty"`
}

// AssetDeliveryState is the file's delivery state (AWAITING_UPLOAD,
// UPLOAD_COMPLETE, COMPLETE, FAILED) with Apple's messages.
type AssetDeliveryState struct {
	State    string        `json:"state,omitempty"`
	Errors   []StateDetail `json:"errors,omitempty"`
	Warnings []StateDetail `json:"warnings,omitempty"`
}

// UploadOperation is one part to send: Length bytes from Offset of the file,
// by Method to URL with exactly RequestHeaders and no Authorization header,
// before Expiration.
type UploadOperation struct {
	Method         string       `json:"method,omitempty"`
	URL            string       `json:"url,omitempty"`
	Offset         int64        `json:"offset"`
	Length         int64        `json:"length,omitempty"`
	RequestHeaders []HTTPHeader `json:"requestHeaders,omitempty"`
	Expiration     Time         `json:"expiration,omitzero"`
	PartNumber     int          `json:"partNumber,omitempty"`
	EntityTag      string       `json:"entityTag,omitempty"`
}

// HTTPHeader is a header an upload operation must carry.
type HTTPHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Checksums are a file's source checksums, optional on commit.
type Checksums struct {
	File      *Checksum `json:"file,omitempty"`
	Composite *Checksum `json:"composite,omitempty"`
}

// Checksum is a hash with its algorithm (ChecksumMD5, ChecksumSHA256; the
// composite one is MD5 only).
type Checksum struct {
	Hash      string `json:"hash"`
	Algorithm string `json:"algorithm"`
}

// buildUploadFileCreate is what a new file of an upload is sent with.
type buildUploadFileCreate struct {
	AssetType string `json:"assetType"`
	FileName  string `json:"fileName"`
	FileSize  int64  `json:"fileSize"`
	UTI       string `json:"uti"`
}

// CreateBuildUploadFile reserves a file of fileSize bytes in upload uploadID
// (uti UTIIPA or UTIPKG, assetType AssetTypeAsset) and returns the part
// operations Apple chose. Not repeated after a 5xx or a broken connection.
func (c *Client) CreateBuildUploadFile(ctx context.Context, uploadID, fileName string, fileSize int64, uti, assetType string) (*BuildUploadFile, *Response, error) {
	attrs := buildUploadFileCreate{AssetType: assetType, FileName: fileName, FileSize: fileSize, UTI: uti}
	return create[BuildUploadFile](ctx, c, "buildUploadFiles", &attrs, toOne("buildUpload", "buildUploads", uploadID))
}

// GetBuildUploadFile reads a file of an upload.
func (c *Client) GetBuildUploadFile(ctx context.Context, id string) (*BuildUploadFile, *Response, error) {
	return get[BuildUploadFile](ctx, c, "buildUploadFiles", id)
}

// ListBuildUploadFiles returns the files of an upload, following pages.
func (c *Client) ListBuildUploadFiles(ctx context.Context, uploadID string) ([]BuildUploadFile, *Response, error) {
	return ListAll[BuildUploadFile](ctx, c, "v1/buildUploads/"+pathEscape(uploadID)+"/buildUploadFiles", 0)
}

// buildUploadFileUpdate is what a file's commit sends.
type buildUploadFileUpdate struct {
	Uploaded            *bool      `json:"uploaded,omitempty"`
	SourceFileChecksums *Checksums `json:"sourceFileChecksums,omitempty"`
}

// UpdateBuildUploadFile commits a file once all parts are sent (uploaded
// true), optionally with checksums (nil omits them). Not repeated after a
// 5xx or a broken connection: read the upload's state (GetBuildUpload or
// GetBuildUploadFile) before deciding anything.
func (c *Client) UpdateBuildUploadFile(ctx context.Context, id string, uploaded bool, checksums *Checksums) (*BuildUploadFile, *Response, error) {
	attrs := buildUploadFileUpdate{Uploaded: &uploaded, SourceFileChecksums: checksums}
	return update[BuildUploadFile](ctx, c, "buildUploadFiles", id, &attrs)
}
