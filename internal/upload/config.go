// Package upload sends a build to App Store Connect through the Build Uploads
// API (API 4.1+): read the build's facts from the file, find the app, make
// sure the build number is new, create the upload, reserve the file, send its
// parts (package transfer), commit only once every part arrived, and follow
// Apple's processing. It reports through events and a Result; rendering them
// (progress bars, log lines, annotations, outputs) is the adapters' job.
package upload

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/asc-action/asc-action/internal/upload/ipa"
	"github.com/asc-action/asc-action/internal/upload/transfer"
)

// Wait says how far Run follows the build after committing it.
type Wait string

// The values of the `wait` input.
const (
	WaitNone       Wait = "none"       // return once the file is committed
	WaitUpload     Wait = "upload"     // until the build upload is COMPLETE
	WaitProcessing Wait = "processing" // until the build's processingState is VALID
)

// ParseWait reads the `wait` input; empty means WaitUpload.
func ParseWait(s string) (Wait, error) {
	switch w := Wait(strings.ToLower(strings.TrimSpace(s))); w {
	case "":
		return WaitUpload, nil
	case WaitNone, WaitUpload, WaitProcessing:
		return w, nil
	}
	return "", fmt.Errorf("%w: wait %q; use none, upload or processing", ErrConfig, s)
}

// Defaults for Config's zero values.
const (
	DefaultTimeout      = time.Hour
	DefaultPollInterval = 20 * time.Second
	// DefaultCommitAttempts bounds how often the commit is sent when its
	// answer was lost and the upload's state shows it was not applied.
	DefaultCommitAttempts = 3
	cleanupTimeout        = 30 * time.Second
)

// Config is one upload, validated at the edge; Run trusts it.
type Config struct {
	// Path is the .ipa or .pkg to upload (input app-path).
	Path string
	// AppID is App Store Connect's app ID (input app-id); when empty the app
	// is found by bundle ID.
	AppID string
	// Override holds the inputs bundle-id, build-version, short-version and
	// platform; non-empty fields win over the file's Info.plist.
	Override ipa.Facts
	// SkipExisting makes an existing build number a success without upload.
	SkipExisting bool
	// Wait and Timeout: how far to follow processing, and for how long
	// (counted from the commit). Zero Timeout means DefaultTimeout.
	Wait    Wait
	Timeout time.Duration
	// PollInterval is the time between two state reads (DefaultPollInterval).
	PollInterval time.Duration
	// Parallelism is the number of parts in flight (transfer.DefaultParallelism).
	Parallelism int
	// PartClient sends the parts; it must carry no App Store Connect
	// credentials. Default: transfer.NewHTTPClient.
	PartClient *http.Client
	// Transfer tunes retries of parts; its Parallelism, Client, Now, Sleep,
	// Refresh and OnEvent are set by Run.
	Transfer transfer.Options
	// Now and Sleep are the clock (defaults: time.Now and a timer).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Validate checks the Config's own consistency (not the file).
func (c Config) Validate() error {
	var errs []error
	if strings.TrimSpace(c.Path) == "" {
		errs = append(errs, fmt.Errorf("%w: app-path is empty; give the path of the .ipa (or .pkg) to upload", ErrConfig))
	}
	switch c.Wait {
	case "", WaitNone, WaitUpload, WaitProcessing:
	default:
		errs = append(errs, fmt.Errorf("%w: wait %q; use none, upload or processing", ErrConfig, c.Wait))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("%w: timeout %v is negative", ErrConfig, c.Timeout))
	}
	if c.Parallelism < 0 || c.Parallelism > 64 {
		errs = append(errs, fmt.Errorf("%w: parallelism %d; use 1 to 64 (default %d)", ErrConfig, c.Parallelism, transfer.DefaultParallelism))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.Wait == "" {
		c.Wait = WaitUpload
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	// The part transfer's defaults give the parallelism, the part client and
	// the clock, so that both read them alike.
	t := c.transferOptions().WithDefaults()
	c.Parallelism, c.PartClient, c.Now, c.Sleep = t.Parallelism, t.Client, t.Now, t.Sleep
	return c
}

// transferOptions are Transfer with the settings Config holds for the part
// transfer itself: parallelism, part client and clock.
func (c Config) transferOptions() transfer.Options {
	opt := c.Transfer
	opt.Parallelism = c.Parallelism
	opt.Client = c.PartClient
	opt.Now, opt.Sleep = c.Now, c.Sleep
	return opt
}

// Sentinel errors, for errors.Is.
//
//lint:file-ignore ST1005 "App Store Connect" is a proper name; these messages head sections of docs/troubleshooting.md
var (
	ErrConfig        = errors.New("invalid upload configuration")
	ErrAppNotFound   = errors.New("no such app in App Store Connect")
	ErrBuildExists   = errors.New("this build number already exists")
	ErrTransfer      = errors.New("sending the file failed")
	ErrCommit        = errors.New("committing the upload failed")
	ErrUploadFailed  = errors.New("App Store Connect rejected the upload")
	ErrBuildInvalid  = errors.New("App Store Connect could not process the build")
	ErrTimeout       = errors.New("timed out waiting for App Store Connect")
	ErrStateUnknown  = errors.New("the upload's state could not be read")
	ErrUnexpectedAPI = errors.New("unexpected answer from App Store Connect")
)
