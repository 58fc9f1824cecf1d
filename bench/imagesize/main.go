// Command imagesize measures the container image the Dockerfile describes
// without a Docker engine: it builds the binary with the Dockerfile's own
// `go build` line (same environment and flags, for linux), rebuilds each
// layer the final stage adds from its COPY instructions, and prints the
// sizes. It also prints a plain `go build` for comparison.
//
//	go run ./bench/imagesize            # linux/amd64
//	go run ./bench/imagesize -arch arm64
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/asc-action/asc-action/internal/shipcheck"
)

func main() {
	arch := flag.String("arch", "amd64", "GOARCH of the image")
	version := flag.String("version", "v1.0.0", "VERSION build arg stamped into the binary")
	flag.Parse()
	if err := run(*arch, *version); err != nil {
		fmt.Fprintln(os.Stderr, "imagesize:", err)
		os.Exit(1)
	}
}

func run(arch, version string) error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	root, err := findRoot(wd)
	if err != nil {
		return err
	}
	ctx := context.Background()
	rep, err := shipcheck.MeasureImage(ctx, shipcheck.MeasureOptions{Root: root, Version: version, GOARCH: arch})
	if err != nil {
		return err
	}
	plain, err := plainBuild(ctx, root, arch)
	if err != nil {
		return err
	}
	gover, _ := exec.Command("go", "env", "GOVERSION").Output()
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	var shown []string
	for _, a := range rep.GoBuild {
		if strings.ContainsAny(a, " \"'") {
			a = fmt.Sprintf("%q", a)
		}
		shown = append(shown, a)
	}
	fmt.Printf("linux/%s, %s\nbuild: %s go %s\n\n", arch, strings.TrimSpace(string(gover)), strings.Join(rep.Env, " "), strings.Join(shown, " "))
	fmt.Fprintln(w, "what\tbytes\tMiB\t")
	fmt.Fprintf(w, "binary, plain `go build`\t%d\t%.2f\t\n", plain, mib(plain))
	fmt.Fprintf(w, "binary, Dockerfile flags\t%d\t%.2f\t\n", rep.BinaryBytes, mib(rep.BinaryBytes))
	fmt.Fprintf(w, "base (%s)\t%d\t%.2f\t\n", rep.Base, rep.BaseBytes, mib(rep.BaseBytes))
	for _, l := range rep.Layers {
		fmt.Fprintf(w, "layer %s, tar / gzip\t%d / %d\t%.2f / %.2f\t\n", l.Dest, l.Tar, l.Gzip, mib(l.Tar), mib(l.Gzip))
	}
	fmt.Fprintf(w, "image, uncompressed\t%d\t%.2f\t\n", rep.Uncompressed(), mib(rep.Uncompressed()))
	fmt.Fprintf(w, "image, compressed (pulled)\t%d\t%.2f\t\n", rep.Compressed(), mib(rep.Compressed()))
	return w.Flush()
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// plainBuild builds the binary with no flags at all, for comparison.
func plainBuild(ctx context.Context, root, arch string) (int64, error) {
	dir, err := os.MkdirTemp("", "imagesize-plain-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "asc-action")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch)
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("go build: %v\n%s", err, out)
	}
	st, err := os.Stat(bin)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

func findRoot(dir string) (string, error) {
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
		d = parent
	}
}
