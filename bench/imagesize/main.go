// Command imagesize builds the release image (image/Dockerfile) with podman
// from a linux binary built with the release flags (or the one given with
// -bin, e.g. from a GoReleaser snapshot in dist/), writes it as a registry
// stores it (gzip layers) and prints its sizes.
//
//	go run ./bench/imagesize                   # linux/amd64
//	go run ./bench/imagesize -arch arm64
//	go run ./bench/imagesize -bin dist/asc-action_linux_amd64_v1/asc-action
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/asc-action/asc-action/internal/shipcheck"
)

func main() {
	arch := flag.String("arch", "amd64", "GOARCH of the image")
	bin := flag.String("bin", "", "linux binary to put in the image (default: build one with the release flags)")
	flag.Parse()
	if err := run(*arch, *bin); err != nil {
		fmt.Fprintln(os.Stderr, "imagesize:", err)
		os.Exit(1)
	}
}

func run(arch, bin string) error {
	if err := shipcheck.LookPodman(); err != nil {
		return err
	}
	root, work, err := shipcheck.Workspace("imagesize-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	ctx := context.Background()
	if bin == "" {
		bin = filepath.Join(work, "asc-action")
		if err := shipcheck.GoBuild(ctx, root, bin, "v1.0.0", "GOOS=linux", "GOARCH="+arch); err != nil {
			return err
		}
	}
	cdir := filepath.Join(work, "context")
	if err := os.MkdirAll(cdir, 0o755); err != nil {
		return err
	}
	if err := shipcheck.ImageContext(root, cdir, map[string]string{arch: bin}, 0); err != nil {
		return err
	}
	pod := shipcheck.Podman{Root: filepath.Join(work, "podman")}
	defer func() { _, _ = pod.Run(context.Background(), "system", "reset", "--force") }()
	const tag = "localhost/asc-action:imagesize"
	if _, err := pod.Build(ctx, cdir, "linux/"+arch, tag, 0); err != nil {
		return err
	}
	im, err := pod.PushOCI(ctx, tag, filepath.Join(work, "oci"))
	if err != nil {
		return err
	}
	st, err := os.Stat(bin)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Printf("linux/%s image %s\n\n", arch, im.Digest)
	fmt.Fprintln(w, "what\tbytes\tMiB\t")
	fmt.Fprintf(w, "binary\t%d\t%.2f\t\n", st.Size(), mib(st.Size()))
	var files int64
	for _, l := range im.Layers {
		var n int64
		for _, e := range l.Entries {
			n += e.Size
		}
		files += n
		fmt.Fprintf(w, "layer %s (%d entries): files / gzip\t%d / %d\t%.2f / %.2f\t\n", l.Digest[:19], len(l.Entries), n, l.Compressed, mib(n), mib(l.Compressed))
	}
	fmt.Fprintf(w, "image, files\t%d\t%.2f\t\n", files, mib(files))
	fmt.Fprintf(w, "image, compressed (manifest + config + gzip layers: what a runner pulls)\t%d\t%.2f\t\n", im.CompressedSize(), mib(im.CompressedSize()))
	return w.Flush()
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
