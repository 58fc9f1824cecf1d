// Package shipcheck builds and inspects what the project ships besides Go
// code (the release image, the native action's installer, the workflows),
// so that tests can hold it to its promises and bench commands can measure
// it. The image is built and run for real, with podman: no Docker daemon.
package shipcheck

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Podman runs podman the way it works on these machines and on a GitHub
// runner without Docker: runc (crun is refused here), cgroupfs, and the vfs
// storage driver in a storage directory of its own (Root), so that builds
// share nothing with any other podman user or with each other.
type Podman struct {
	Root string // storage; run state goes to Root/run
}

// InstallHint says how to get podman where it is missing.
const InstallHint = "apt-get install podman runc (Debian/Ubuntu)"

// LookPodman reports whether podman and runc are on PATH.
func LookPodman() error {
	for _, b := range []string{"podman", "runc"} {
		if _, err := exec.LookPath(b); err != nil {
			return fmt.Errorf("%s is not installed: %s", b, InstallHint)
		}
	}
	return nil
}

// Command returns a podman command with the global flags set.
func (p Podman) Command(ctx context.Context, args ...string) *exec.Cmd {
	global := []string{"--root", filepath.Join(p.Root, "storage"), "--runroot", filepath.Join(p.Root, "run"),
		"--runtime", "runc", "--cgroup-manager", "cgroupfs", "--storage-driver", "vfs"}
	return exec.CommandContext(ctx, "podman", append(global, args...)...)
}

// Run runs podman and returns its standard output; the error holds its
// standard error.
func (p Podman) Run(ctx context.Context, args ...string) (string, error) {
	cmd := p.Command(ctx, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("podman %s: %v\n%s", args[0], err, errOut.String())
	}
	return out.String(), nil
}

// ImageContext lays out in dir the build context GoReleaser's dockers_v2
// gives image/Dockerfile: the Dockerfile, linux/<arch>/asc-action for each
// binary, and build/image/rootfs.tar made by image/rootfs.sh with
// SOURCE_DATE_EPOCH=epoch.
func ImageContext(root, dir string, binaries map[string]string, epoch int64) error {
	df, err := os.ReadFile(filepath.Join(root, "image", "Dockerfile"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), df, 0o644); err != nil {
		return err
	}
	for arch, bin := range binaries {
		b, err := os.ReadFile(bin)
		if err != nil {
			return err
		}
		d := filepath.Join(dir, "linux", arch)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(d, "asc-action"), b, 0o755); err != nil {
			return err
		}
	}
	cmd := exec.Command("bash", filepath.Join(root, "image", "rootfs.sh"), filepath.Join(dir, "build", "image"))
	cmd.Env = append(os.Environ(), fmt.Sprintf("SOURCE_DATE_EPOCH=%d", epoch))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("image/rootfs.sh: %v\n%s", err, out)
	}
	return nil
}

// Build builds the context for one platform (linux/amd64) with every
// timestamp set to epoch, tags it, and returns the image ID.
func (p Podman) Build(ctx context.Context, contextDir, platform, tag string, epoch int64) (string, error) {
	iid := filepath.Join(p.Root, "iid")
	_, err := p.Run(ctx, "build", "--quiet", "--platform", platform, "--timestamp", fmt.Sprint(epoch),
		"--iidfile", iid, "-t", tag, contextDir)
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(iid)
	return strings.TrimSpace(string(b)), err
}

// PushOCI writes the image into an OCI layout directory with gzip layers,
// as a registry stores it, and reads it back.
func (p Podman) PushOCI(ctx context.Context, image, dir string) (*OCIImage, error) {
	if _, err := p.Run(ctx, "push", "--quiet", "--compression-format", "gzip", image, "oci:"+dir+":latest"); err != nil {
		return nil, err
	}
	return ReadOCI(dir)
}

// OCIImage is one image of an OCI layout, as a registry would serve it.
type OCIImage struct {
	Digest       string // the manifest's digest: what `image: docker://...@sha256:` pins
	ManifestSize int64
	Config       ImageConfig
	ConfigSize   int64
	Layers       []OCILayer
}

// ImageConfig is the part of the image configuration the checks read.
type ImageConfig struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Config       struct {
		User       string   `json:"User"`
		Env        []string `json:"Env"`
		Entrypoint []string `json:"Entrypoint"`
		Cmd        []string `json:"Cmd"`
		WorkingDir string   `json:"WorkingDir"`
	} `json:"config"`
}

// OCILayer is a layer: its compressed size and what it holds.
type OCILayer struct {
	Digest     string
	Compressed int64
	Entries    []Entry
}

// Entry is a file or directory in a layer.
type Entry struct {
	Name string // without a leading slash; directories end in /
	Mode int64  // permission bits, sticky bit included
	Size int64
	UID  int
	GID  int
	Data []byte // regular files only
}

// CompressedSize is what a runner downloads: manifest, config and layers.
func (im *OCIImage) CompressedSize() int64 {
	n := im.ManifestSize + im.ConfigSize
	for _, l := range im.Layers {
		n += l.Compressed
	}
	return n
}

type descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
}

// ReadOCI reads the single image of an OCI layout directory.
func ReadOCI(dir string) (*OCIImage, error) {
	var index struct {
		Manifests []descriptor `json:"manifests"`
	}
	if err := readJSON(filepath.Join(dir, "index.json"), &index); err != nil {
		return nil, err
	}
	if len(index.Manifests) != 1 {
		return nil, fmt.Errorf("%s: %d manifests, want 1", dir, len(index.Manifests))
	}
	md := index.Manifests[0]
	var manifest struct {
		Config descriptor   `json:"config"`
		Layers []descriptor `json:"layers"`
	}
	if err := readJSON(blob(dir, md.Digest), &manifest); err != nil {
		return nil, err
	}
	im := &OCIImage{Digest: md.Digest, ManifestSize: md.Size, ConfigSize: manifest.Config.Size}
	if err := readJSON(blob(dir, manifest.Config.Digest), &im.Config); err != nil {
		return nil, err
	}
	for _, ld := range manifest.Layers {
		if !strings.HasSuffix(ld.MediaType, "+gzip") {
			return nil, fmt.Errorf("layer %s is %s, want gzip", ld.Digest, ld.MediaType)
		}
		entries, err := readLayer(blob(dir, ld.Digest))
		if err != nil {
			return nil, fmt.Errorf("layer %s: %w", ld.Digest, err)
		}
		im.Layers = append(im.Layers, OCILayer{Digest: ld.Digest, Compressed: ld.Size, Entries: entries})
	}
	return im, nil
}

func blob(dir, digest string) string {
	alg, hex, _ := strings.Cut(digest, ":")
	return filepath.Join(dir, "blobs", alg, hex)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func readLayer(path string) ([]Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	var entries []Entry
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return entries, nil
		}
		if err != nil {
			return nil, err
		}
		e := Entry{Name: strings.TrimPrefix(h.Name, "/"), Mode: h.Mode & 0o7777, Size: h.Size, UID: h.Uid, GID: h.Gid}
		switch h.Typeflag {
		case tar.TypeDir:
			if !strings.HasSuffix(e.Name, "/") {
				e.Name += "/"
			}
		case tar.TypeReg:
			if e.Data, err = io.ReadAll(tr); err != nil {
				return nil, err
			}
		default:
			e.Name += fmt.Sprintf(" (tar type %q)", h.Typeflag)
		}
		entries = append(entries, e)
	}
}
