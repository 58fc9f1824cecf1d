package shipcheck

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// Layer is one filesystem layer of the final image, rebuilt here from the
// Dockerfile's COPY instructions.
type Layer struct {
	Instruction string // the COPY line it comes from
	Dest        string // where it puts its files
	Files       int64  // bytes of file content
	Tar         int64  // bytes of the uncompressed layer tar
	Gzip        int64  // bytes of the gzip-compressed layer (what a registry stores and a runner pulls)
}

// ImageReport is the size of the image the Dockerfile describes.
type ImageReport struct {
	Base        string // the final stage's base image
	BaseBytes   int64  // its size (0 for scratch)
	GoBuild     []string
	Env         []string
	BinaryBytes int64
	Layers      []Layer
}

// Uncompressed is the image's size as `docker image ls` counts it: base
// plus the content of every layer.
func (r *ImageReport) Uncompressed() int64 {
	n := r.BaseBytes
	for _, l := range r.Layers {
		n += l.Tar
	}
	return n
}

// Compressed is what a runner downloads: base plus gzip of every layer.
func (r *ImageReport) Compressed() int64 {
	n := r.BaseBytes
	for _, l := range r.Layers {
		n += l.Gzip
	}
	return n
}

// MeasureOptions says where to find things.
type MeasureOptions struct {
	Root    string // module root, where the Dockerfile is
	Version string // the VERSION build arg
	GOOS    string // default linux
	GOARCH  string // default amd64
	// HostFiles maps a path in the build stage to a file on this machine
	// that stands in for it (the CA bundle); by default the same path.
	HostFiles map[string]string
	Work      string // scratch directory; a temporary one by default
}

// MeasureImage builds the binary exactly as the Dockerfile's `go build`
// line does (same environment, flags and package, for linux), then
// rebuilds every layer the final stage adds from its COPY instructions
// and measures it. No Docker engine is needed: the final stage must be
// FROM scratch (whose size is zero) and copy only from earlier stages.
func MeasureImage(ctx context.Context, o MeasureOptions) (*ImageReport, error) {
	if o.GOOS == "" {
		o.GOOS = "linux"
	}
	if o.GOARCH == "" {
		o.GOARCH = "amd64"
	}
	if o.Version == "" {
		o.Version = "v0.0.0-measure"
	}
	df, err := ReadDockerfile(filepath.Join(o.Root, "Dockerfile"))
	if err != nil {
		return nil, err
	}
	final := df.Final()
	if final.Base != "scratch" {
		return nil, fmt.Errorf("the final stage is FROM %s; only scratch can be measured without pulling it", final.Base)
	}
	g, buildStage, err := df.FindGoBuild(map[string]string{"VERSION": o.Version})
	if err != nil {
		return nil, err
	}
	if g.Output == "" {
		return nil, errors.New("the go build line has no -o; the COPY of the binary cannot be traced")
	}
	work := o.Work
	if work == "" {
		if work, err = os.MkdirTemp("", "imagesize-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(work)
	}
	bin := filepath.Join(work, "asc-action")
	args := append([]string{}, g.Args...)
	for i := range args {
		if args[i] == "-o" && i+1 < len(args) {
			args[i+1] = bin
		}
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = o.Root
	cmd.Env = append(os.Environ(), g.Env...)
	cmd.Env = append(cmd.Env, "GOOS="+o.GOOS, "GOARCH="+o.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	st, err := os.Stat(bin)
	if err != nil {
		return nil, err
	}
	rep := &ImageReport{Base: final.Base, GoBuild: g.Args, Env: g.Env, BinaryBytes: st.Size()}

	// The build stage's paths this run can resolve: the binary, and
	// directories the RUN lines create (empty here, as /out/tmp).
	resolve := func(stage *Stage, p string) (string, error) {
		if stage == buildStage && path.Clean(p) == path.Clean(g.Output) {
			return bin, nil
		}
		if h, ok := o.HostFiles[p]; ok {
			return h, nil
		}
		if stage == buildStage && strings.HasPrefix(p, path.Dir(g.Output)+"/") {
			// Created next to the binary by the same RUN (mkdir): an empty directory.
			d := filepath.Join(work, "dirs", filepath.FromSlash(p))
			return d, os.MkdirAll(d, 0o755)
		}
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s from stage %s has no stand-in on this machine", p, stage.Name)
		}
		return p, nil
	}
	for _, in := range final.Instructions {
		switch in.Cmd {
		case "COPY":
		case "ADD", "RUN":
			return nil, fmt.Errorf("line %d: %s in the final stage cannot be measured here", in.Line, in.Cmd)
		default:
			continue // metadata only: no layer content
		}
		c, err := ParseCopy(in)
		if err != nil {
			return nil, err
		}
		from := df.Stage(c.From)
		if from == nil {
			return nil, fmt.Errorf("line %d: COPY from the build context or an image is not measured here", in.Line)
		}
		var srcs []string
		for _, s := range c.Sources {
			h, err := resolve(from, s)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", in.Line, err)
			}
			srcs = append(srcs, h)
		}
		l, err := measureLayer(srcs, c.Dest)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", in.Line, err)
		}
		l.Instruction, l.Dest = "COPY "+in.Args, c.Dest
		rep.Layers = append(rep.Layers, l)
	}
	return rep, nil
}

// countWriter counts bytes written through it.
type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// measureLayer writes the layer a COPY makes (sources placed at dest) as
// a tar and as a gzip of that tar, and counts both.
func measureLayer(srcs []string, dest string) (Layer, error) {
	var l Layer
	tarCount, gzCount := &countWriter{}, &countWriter{}
	gz, _ := gzip.NewWriterLevel(gzCount, gzip.DefaultCompression)
	tw := tar.NewWriter(io.MultiWriter(tarCount, gz))
	mtime := time.Unix(0, 0)
	add := func(name string, fi fs.FileInfo, file string) error {
		h, err := tar.FileInfoHeader(fi, "")
		if err != nil {
			return err
		}
		h.Name, h.ModTime, h.Uid, h.Gid, h.Uname, h.Gname = strings.TrimPrefix(name, "/"), mtime, 0, 0, "", ""
		if fi.IsDir() {
			h.Name += "/"
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			f, err := os.Open(file)
			if err != nil {
				return err
			}
			n, err := io.Copy(tw, f)
			f.Close()
			if err != nil {
				return err
			}
			l.Files += n
		}
		return nil
	}
	for _, src := range srcs {
		fi, err := os.Stat(src)
		if err != nil {
			return l, err
		}
		if !fi.IsDir() {
			target := dest
			if strings.HasSuffix(dest, "/") {
				target = path.Join(dest, filepath.Base(src))
			}
			if err := add(target, fi, src); err != nil {
				return l, err
			}
			continue
		}
		err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(src, p)
			info, err := d.Info()
			if err != nil {
				return err
			}
			return add(path.Join(dest, filepath.ToSlash(rel)), info, p)
		})
		if err != nil {
			return l, err
		}
	}
	if err := tw.Close(); err != nil {
		return l, err
	}
	if err := gz.Close(); err != nil {
		return l, err
	}
	l.Tar, l.Gzip = tarCount.n, gzCount.n
	return l, nil
}
